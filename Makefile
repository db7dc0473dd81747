# The README's commands. Python tools (the moto emulator, the infrastructure
# linters) live in .venv, created on first use from the requirements files.
# Cargo's target directory follows CARGO_TARGET_DIR when it is set.

PYTHON3 ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
TARGET  := $(or $(CARGO_TARGET_DIR),target)
BIN     := $(TARGET)/debug/access-key-notifier

.PHONY: demo test

## demo: run the notifier end to end against the AWS emulator (no AWS account)
demo: $(VENV)/.emulator
	cargo build --bin access-key-notifier
	$(PY) scripts/demo.py $(BIN)

## test: formatting, lints, and every test (unit, emulator, end to end)
test: $(VENV)/.dev
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	AKN_PYTHON=$(abspath $(PY)) cargo test

$(VENV)/.venv:
	$(PYTHON3) -m venv $(VENV)
	touch $@

$(VENV)/.emulator: requirements-emulator.txt $(VENV)/.venv
	$(VENV)/bin/pip install --quiet -r requirements-emulator.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements-emulator.txt $(VENV)/.emulator
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@
