"""The baseline of `make bench`'s sweep: a sequential boto3 sweep over the
IAM credential report, the shape of Prowler's `iam_rotate_access_key_90_days`
check with the mail a notifier adds.

GenerateCredentialReport until COMPLETE, GetCredentialReport, the CSV read
with the standard library; then, one user at a time, for every row with an
active key at least `--due-days` old: ListAccessKeys (the key ids), GetUser
(the owner's Email tag) and one SES v2 SendEmail. No ledger, no exemptions,
no enforcement: less work than the notifier's sweep, never more.

Usage: python bench/boto3_report_sweep.py ENDPOINT --due-days 76 --sender S
Prints one JSON object: wall seconds, users mailed, calls by operation.
"""

import argparse
import csv
import io
import json
import time
from collections import Counter
from datetime import datetime, timezone

import boto3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoint")
    parser.add_argument("--due-days", type=int, required=True)
    parser.add_argument("--sender", required=True)
    # SES on its own endpoint, as the notifier's bench runs it (another
    # emulator process); IAM's by default.
    parser.add_argument("--mail-endpoint")
    args = parser.parse_args()
    kwargs = dict(
        endpoint_url=args.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    iam = boto3.client("iam", **kwargs)
    ses = boto3.client("sesv2", **{**kwargs, "endpoint_url": args.mail_endpoint or args.endpoint})
    calls: Counter = Counter()

    started = time.monotonic()
    while True:
        calls["GenerateCredentialReport"] += 1
        if iam.generate_credential_report()["State"] == "COMPLETE":
            break
        time.sleep(1)
    calls["GetCredentialReport"] += 1
    content = iam.get_credential_report()["Content"].decode()
    now = datetime.now(timezone.utc)
    mailed = 0
    for row in csv.DictReader(io.StringIO(content)):
        if row["user"] == "<root_account>":
            continue
        due = False
        for n in ("1", "2"):
            rotated = row[f"access_key_{n}_last_rotated"]
            if row[f"access_key_{n}_active"] == "true" and rotated not in ("N/A", ""):
                age = now - datetime.fromisoformat(rotated.replace("Z", "+00:00"))
                due = due or age.days >= args.due_days
        if not due:
            continue
        calls["ListAccessKeys"] += 1
        keys = iam.list_access_keys(UserName=row["user"])["AccessKeyMetadata"]
        calls["GetUser"] += 1
        tags = iam.get_user(UserName=row["user"])["User"].get("Tags", [])
        email = next((t["Value"] for t in tags if t["Key"] == "Email"), None)
        if not email:
            continue
        ids = ", ".join(k["AccessKeyId"][:4] + "…" + k["AccessKeyId"][-4:] for k in keys)
        calls["SendEmail"] += 1
        ses.send_email(
            FromEmailAddress=args.sender,
            Destination={"ToAddresses": [email]},
            Content={
                "Simple": {
                    "Subject": {"Data": "Your access key is due for rotation"},
                    "Body": {"Text": {"Data": f"Rotate {ids}."}},
                }
            },
        )
        mailed += 1
    wall = time.monotonic() - started
    print(json.dumps({"wall_s": wall, "mailed": mailed, "calls": calls}))


if __name__ == "__main__":
    main()
