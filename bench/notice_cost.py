"""What one notice costs: peak memory of one `invoke` and the AWS API calls it
makes, against the emulator on loopback.

Usage: python bench/notice_cost.py PATH/TO/access-key-notifier [USERS] [--ledger]

Seeds USERS-1 other users (default 1) and the target user last, with one
88-day-old key, then runs one `invoke` of the 7-day rule's event (a cold
process: nothing cached) under GNU time, and prints the peak RSS and the
requests the emulator served, by operation. With --ledger the function
claims and records the notice in the notice ledger's DynamoDB table, as the
deployed template configures it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "emulator"))
import server as emulator  # noqa: E402
from events import RULE_7, event_for  # noqa: E402

SENDER = "key-notices@example.com"
USER_ID = "AIDATCKAQT2XHRAS7UPNO"


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--ledger"]
    ledger = "--ledger" in sys.argv
    binary = args[0]
    users = int(args[1]) if len(args) > 1 else 1
    server, endpoint = emulator.start()
    try:
        event = event_for(USER_ID, RULE_7, "notice-cost")
        emulator.handle({"op": "verify_sender", "address": SENDER}, endpoint)
        if users > 1:
            emulator.handle({"op": "create_users", "prefix": "user", "count": users - 1}, endpoint)
        created = datetime.now(timezone.utc) - timedelta(days=88)
        emulator.handle(
            {"op": "create_user", "name": "zz-target", "user_id": USER_ID,
             "tags": {"Email": "owner@example.com"},
             "keys": [{"created": created.strftime("%Y-%m-%dT%H:%M:%SZ")}]},
            endpoint,
        )
        if ledger:
            import boto3

            boto3.client(
                "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                aws_access_key_id="bench", aws_secret_access_key="bench",
            ).create_table(
                TableName="akn-ledger", BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            )
        emulator.handle({"op": "reset_requests"}, endpoint)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_EC2_METADATA_DISABLED": "true", "SENDER_ADDRESS": SENDER,
        }
        if ledger:
            env["LEDGER_TABLE"] = "akn-ledger"
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(event, f)
        run = subprocess.run(
            ["/usr/bin/time", "-v", binary, "invoke", "--event", f.name],
            env=env, capture_output=True, text=True, timeout=120,
        )
        os.unlink(f.name)
        outcome = json.loads(run.stdout)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", run.stderr)
        requests = emulator.REQUESTS
        print(f"users in the account: {users} (target listed last), ledger {'on' if ledger else 'off'}")
        print(f"outcome: {outcome['status']}, {outcome.get('days_remaining')} days remaining")
        print(f"peak RSS of one invoke: {int(rss.group(1)) / 1024:.1f} MiB" if rss else "peak RSS: n/a")
        print(f"wall time of one invoke: {wall.group(1)}" if wall else "")
        print(f"AWS API requests: {sum(requests.values())}")
        for op, n in sorted(requests.items()):
            print(f"  {op}: {n}")
        return 0 if outcome["status"] == "sent" else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
