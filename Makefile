# The README's commands. Python tools (the moto emulator, the infrastructure
# linters) live in .venv, created on first use from the requirements files.
# Cargo's target directory follows CARGO_TARGET_DIR when it is set.

PYTHON3 ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
TARGET  := $(or $(CARGO_TARGET_DIR),target)
BIN     := $(TARGET)/debug/access-key-notifier

# make package builds for this machine's architecture; ARCH=arm64 or
# ARCH=x86-64 chooses (arm64 needs `rustup target add aarch64-unknown-linux-gnu`).
ARCH    ?= $(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x86-64)

.PHONY: demo test lint-infra package bench pictures chromium

# Debian's Chromium renders the HTML report (a test) and the pictures; apt
# runs as root, through sudo otherwise.
CHROMIUM ?= /usr/bin/chromium
APT      := $(if $(filter 0,$(shell id -u)),,sudo )env DEBIAN_FRONTEND=noninteractive apt-get

## demo: run the notifier end to end against the AWS emulator (no AWS account)
demo: $(VENV)/.emulator
	cargo build --bin access-key-notifier
	$(PY) scripts/demo.py $(BIN)

## test: formatting, lints, and every test (unit, emulator, end to end, the
## HTML report in headless Chromium)
test: $(VENV)/.dev chromium
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	AKN_PYTHON=$(abspath $(PY)) AKN_CHROMIUM=$(CHROMIUM) cargo test -- --show-output
	$(MAKE) lint-infra

## lint-infra: cfn-lint (with the SAM transform, offline) and checkov over infra/
lint-infra: $(VENV)/.dev
	$(VENV)/bin/cfn-lint infra/template.yaml infra/member.yaml && echo "cfn-lint: no findings"
	$(VENV)/bin/checkov --directory infra --framework cloudformation --quiet --compact --skip-download

## bench: cold start, per-event time, memory, API calls, burst, zip size, a 5,000-user sweep (docs/benchmarks.md)
bench: $(VENV)/.emulator package
	cargo build --release --bin access-key-notifier
	AKN_PYTHON=$(abspath $(PY)) cargo bench --bench lambda
	AKN_PYTHON=$(abspath $(PY)) cargo bench --bench sweep
	AKN_PYTHON=$(abspath $(PY)) cargo bench --bench fanout

## package: the Lambda zip (bootstrap) in dist/access-key-notifier.zip, via cargo lambda
package: $(VENV)/.package
	PATH="$(abspath $(VENV))/bin:$$PATH" cargo lambda build --release --$(ARCH) --output-format zip --lambda-dir dist/lambda
	cp dist/lambda/access-key-notifier/bootstrap.zip dist/access-key-notifier.zip
	@ls -l dist/access-key-notifier.zip

## chromium: Debian's headless Chromium (and its emoji font), installed when
## missing; the HTML report's test and `make pictures` render with it
chromium:
	test -x $(CHROMIUM) || $(APT) install -y chromium || ($(APT) update && $(APT) install -y chromium)
	test -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf || $(APT) install -y fonts-noto-color-emoji

## pictures: the README's pictures of a notice, a digest, a chat summary, the
## Security Hub findings and the HTML report, rendered from the real
## templates by headless Chromium (page:width:height)
pictures: chromium
	mkdir -p docs/pictures
	cargo run --quiet --example render_samples -- $(abspath docs/pictures)
	for page in notice:820:900 digest:820:1050 chat:820:560 finding:820:1100 report:1160:1500; do \
	  name=$${page%%:*}; size=$${page#*:}; width=$${size%%:*}; height=$${size##*:}; \
	  $(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update --disable-sync \
	    --hide-scrollbars --user-data-dir=$$(mktemp -d) --window-size=$$width,$$height \
	    --screenshot=$(abspath docs/pictures)/$$name.png file://$(abspath docs/pictures)/$$name.html; \
	done
	@ls -l docs/pictures/*.png

$(VENV)/.venv:
	$(PYTHON3) -m venv $(VENV)
	touch $@

$(VENV)/.emulator: requirements-emulator.txt $(VENV)/.venv
	$(VENV)/bin/pip install --quiet -r requirements-emulator.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements-emulator.txt $(VENV)/.emulator
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

$(VENV)/.package: requirements-package.txt $(VENV)/.venv
	$(VENV)/bin/pip install --quiet -r requirements-package.txt
	touch $@
