"""`make demo`: the notifier end to end on this machine, no AWS account.

Starts the AWS emulator (moto) on loopback, seeds an IAM account whose users
hold keys 76, 83, 88 and 95 days old plus one user without an owner tag,
runs the matching Config compliance-change events through
`access-key-notifier invoke`, prints each outcome and each mail the emulator
accepted, and stops the emulator.

Usage: python scripts/demo.py PATH/TO/access-key-notifier
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "emulator"))
import server as emulator  # noqa: E402  (tests/emulator/server.py)

SENDER = "key-notices@example.com"
TEMPLATE = ROOT / "tests" / "fixtures" / "events" / "noncompliant-7-days.json"
RULE_7 = "access-keys-rotated-1"  # 7 days before the 90-day deadline
RULE_14 = "access-keys-rotated-2"  # 14 days before

# name, user id, key age in days, tags, the rule events Config would deliver;
# keys of users with a "last used" service were used by it yesterday
USERS = [
    ("alice", "AIDADEMOALICE0000076", 76, {"Email": "alice@example.com"}, [RULE_14], "s3"),
    ("bob", "AIDADEMOBOB000000083", 83, {"Email": "bob@example.com", "Locale": "ja"}, [RULE_7], "sqs"),
    # Rules created after the key was already 88 days old: both fire at once.
    ("carol", "AIDADEMOCAROL0000088", 88, {"Email": "carol@example.com"}, [RULE_14, RULE_7], "lambda"),
    ("dave", "AIDADEMODAVE00000095", 95, {"Email": "dave@example.com"}, [RULE_7], None),
    ("erin-ci", "AIDADEMOERINCI000080", 80, {}, [RULE_14], "codebuild"),
]

ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
    "SENDER_ADDRESS": SENDER,
    "CC_RECIPIENTS": "security@example.com",
    "FALLBACK_RECIPIENTS": "cloud-team@example.com",
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
}


def rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def event_for(user_id: str, rule: str, now: datetime) -> dict:
    event = json.loads(TEMPLATE.read_text())
    event = copy.deepcopy(event)
    event["id"] = str(uuid.uuid4())
    event["time"] = rfc3339(now)
    detail = event["detail"]
    detail["resourceId"] = user_id
    detail["configRuleName"] = rule
    detail["notificationCreationTime"] = rfc3339(now)
    for result in ("newEvaluationResult", "oldEvaluationResult"):
        qualifier = detail[result]["evaluationResultIdentifier"]["evaluationResultQualifier"]
        qualifier["resourceId"] = user_id
        qualifier["configRuleName"] = rule
    return event


def invoke(binary: str, event: dict, env: dict, *args: str) -> subprocess.CompletedProcess:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(event, f)
        path = f.name
    try:
        return subprocess.run(
            [binary, "invoke", "--event", path, *args],
            env=env, capture_output=True, text=True, timeout=60,
        )
    finally:
        os.unlink(path)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    server, endpoint = emulator.start()
    env = dict(ENV, AWS_ENDPOINT_URL=endpoint)
    failed = False
    try:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        emulator.handle({"op": "verify_sender", "address": SENDER}, endpoint)
        for name, user_id, age, tags, _, service in USERS:
            key = {"created": rfc3339(now - timedelta(days=age))}
            if service:
                key["last_used"] = {"time": rfc3339(now - timedelta(days=1)),
                                    "service": service, "region": "ap-northeast-1"}
            emulator.handle(
                {"op": "create_user", "name": name, "user_id": user_id, "tags": tags,
                 "keys": [key]},
                endpoint,
            )
        print(f"AWS emulator (moto) on {endpoint}; sender {SENDER} verified.")
        print(f"Seeded IAM users at {rfc3339(now)}, keys expire after 90 days:\n")
        for name, _, age, tags, _, _ in USERS:
            owner = tags.get("Email", "no owner tag")
            print(f"  {name:8} key {age} days old   {owner}")

        print("\n== Outcomes (one `access-key-notifier invoke` per Config event) ==\n")
        for name, user_id, age, _, rules, _ in USERS:
            for rule in rules:
                run = invoke(binary, event_for(user_id, rule, now), env)
                print(f"# {name} ({age} days), rule {rule}")
                if run.returncode != 0:
                    failed = True
                    print(f"  FAILED (exit {run.returncode}): {run.stderr.strip()}")
                    continue
                print("  " + run.stdout.strip())
                for line in run.stderr.strip().splitlines():
                    print(f"  log: {line}")

        print("\n== Mail the emulator's SES accepted (GET /moto-api/data.json) ==\n")
        for m in emulator.messages(endpoint)["messages"]:
            dest = m["destinations"]
            print(f"To: {', '.join(dest.get('ToAddresses', []))}")
            if dest.get("CcAddresses"):
                print(f"Cc: {', '.join(dest['CcAddresses'])}")
            print(f"Subject: {m['subject']}\n")

        print("== The text part of carol's notice (invoke --dry-run) ==\n")
        carol = next(u for u in USERS if u[0] == "carol")
        run = invoke(binary, event_for(carol[1], RULE_7, now), env, "--dry-run")
        print(run.stderr)
        failed |= run.returncode != 0
    finally:
        server.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
