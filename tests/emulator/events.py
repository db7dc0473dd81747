"""The fixture events of tests/fixtures/events/, for the Python scripts (the
demo and bench/notice_cost.py); the Rust tests load the same files through
tests/common."""

from __future__ import annotations

import copy
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"

RULE_7 = "access-keys-rotated-1"  # 7 days before the deadline (the default)
RULE_14 = "access-keys-rotated-2"  # 14 days before


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def event_for(user_id: str, rule: str, event_id: str) -> dict:
    """The 7-day fixture event, for another user, rule and event id."""
    event = copy.deepcopy(fixture("noncompliant-7-days.json"))
    event["id"] = event_id
    detail = event["detail"]
    detail["resourceId"] = user_id
    detail["configRuleName"] = rule
    for result in ("newEvaluationResult", "oldEvaluationResult"):
        qualifier = detail[result]["evaluationResultIdentifier"]["evaluationResultQualifier"]
        qualifier["resourceId"] = user_id
        qualifier["configRuleName"] = rule
    return event
