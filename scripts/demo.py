"""`make demo`: the notifier end to end on this machine, no AWS account.

Starts the AWS emulator (moto) on loopback with the notice ledger's table,
seeds an IAM account whose users hold keys 76, 83, 88 and 95 days old, one
user with two keys (85 and 78 days) and one user without an owner tag, runs
the Config compliance-change events each would get through
`access-key-notifier invoke` (both rules for some, and one duplicate
delivery), prints each outcome, each mail the emulator accepted and the
ledger's records.

Then the daily sweep (`access-key-notifier sweep`) finds what the Config
events did not cover: grace, whose rule turned NON_COMPLIANT while the
function was off; heidi, whose key is 100 days old and got its overdue notice
9 days ago, so a reminder is due; and ivan, whose first key was announced
days ago and whose second key has since reached its first tier (Config says
nothing: ivan was NON_COMPLIANT already); and, with the unused-key policy on
(UNUSED_KEY_DAYS=60), kate, whose 70-day-old key was never used: not due for
rotation, but unused. It prints the sweep's outcome, the new mails and the
digest's text (with its "Unused keys" section), and runs a second sweep that
sends nothing.

Last, enforcement (ENFORCE=true): judy holds a key 120 days old that no
notice ever announced, and a 10-day-old one. The first enforcing sweep sends
her a final warning and changes nothing; a sweep the same day waits for the
warning to age; a sweep standing in for three days later deactivates the old
key only, mails her, and the keys' status is read back from the emulator's
IAM.

Last of all, rotation for machine users (ROTATE=true): deploy-bot, tagged
KeyRotation=secrets-manager, holds a key 95 days old. The first sweep
creates a new key, stores it in Secrets Manager and mails the owner where it
is; a sweep once the announced date has come leaves the old key active,
since nothing used the new one yet; once something does, the next sweep
retires the old key. The secret is read back from Secrets Manager and
searched for in everything the demo printed, mailed and recorded. Then the
emulator stops.

Usage: python scripts/demo.py PATH/TO/access-key-notifier
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "emulator"))
import server as emulator  # noqa: E402  (tests/emulator/server.py)
from events import RULE_14, RULE_7, event_for  # noqa: E402

SENDER = "key-notices@example.com"
TABLE = "access-key-notifier-ledger"

# name, user id, key ages in days, tags, the events Config would deliver (in
# order; a repeated one is a duplicate delivery), the service that used the
# keys yesterday
USERS = [
    ("alice", "AIDADEMOALICE0000076", [76], {"Email": "alice@example.com"}, [RULE_14], "s3"),
    ("bob", "AIDADEMOBOB000000083", [83], {"Email": "bob@example.com", "Locale": "ja"}, [RULE_7], "sqs"),
    # Rules created after the key was already 88 days old: both fire, in any
    # order, and EventBridge delivers one event twice.
    ("carol", "AIDADEMOCAROL0000088", [88], {"Email": "carol@example.com"},
     [RULE_14, RULE_7, RULE_14], "lambda"),
    ("dave", "AIDADEMODAVE00000095", [95], {"Email": "dave@example.com"}, [RULE_7], None),
    ("erin-ci", "AIDADEMOERINCI000080", [80], {}, [RULE_14], "codebuild"),
    # Two keys: the 14-day rule fired for the older one weeks ago; the
    # 7-day rule's event announces both.
    ("frank", "AIDADEMOFRANK0000085", [85, 78], {"Email": "frank@example.com"},
     [RULE_7, RULE_14], "ec2"),
]

# Users Config never speaks for, and what the ledger already holds for them:
# name, user id, key ages, tags, [(key index, stage, days since it was sent)]
SWEEP_USERS = [
    ("grace", "AIDADEMOGRACE0000079", [79], {"Email": "grace@example.com"}, []),
    ("heidi", "AIDADEMOHEIDI0000100", [100], {"Email": "heidi@example.com", "Locale": "ja"},
     [(0, "overdue", 9)]),
    ("ivan", "AIDADEMOIVAN00000086", [86, 77], {"Email": "ivan@example.com"},
     [(0, "tier_7", 3)]),
]
ACCOUNT = "123456789012"
DIGEST_TO = "security-lead@example.com"

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
    "LEDGER_TABLE": TABLE,
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
}


def rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def mask(key_id: str) -> str:
    return f"{key_id[:4]}…{key_id[-4:]}"


def invoke(binary: str, event: dict, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary, "invoke", "--event", "-", *args],
        input=json.dumps(event), env=env, capture_output=True, text=True, timeout=60,
    )


def create_ledger(endpoint: str) -> None:
    import boto3

    boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="demo", aws_secret_access_key="demo",
    ).create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )


def dynamodb(endpoint: str):
    import boto3

    return boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="demo", aws_secret_access_key="demo",
    )


def ledger_records(endpoint: str) -> list[dict]:
    items = dynamodb(endpoint).scan(TableName=TABLE)["Items"]
    notices = [i for i in items if i["pk"]["S"].startswith("notice#")]
    return sorted(notices, key=lambda i: (i["user"]["S"], i["pk"]["S"]))


def record_sent(endpoint: str, user: str, key_id: str, stage: str, sent: datetime) -> None:
    """A notice sent before the demo began, as the function records it."""
    expires = sent + timedelta(days=500)
    dynamodb(endpoint).put_item(TableName=TABLE, Item={
        "pk": {"S": f"notice#{ACCOUNT}#{key_id}#{stage}"}, "status": {"S": "SENT"},
        "account": {"S": ACCOUNT}, "stage": {"S": stage}, "user": {"S": user},
        "source": {"S": "access-keys-rotated-1"},
        "sent_at": {"N": str(int(sent.timestamp()))},
        "expires_at": {"N": str(int(expires.timestamp()))},
    })


def age_warning(endpoint: str, key_id: str, by: timedelta) -> str:
    """Moves the key's warning (`warning#ACCOUNT#KEYID`) `by` into the past,
    as if it had been sent that much earlier; returns the date it now
    announces."""
    table = dynamodb(endpoint)
    pk = {"pk": {"S": f"warning#{ACCOUNT}#{key_id}"}}
    item = table.get_item(TableName=TABLE, Key=pk, ConsistentRead=True)["Item"]
    sent = int(item["first_sent"]["N"]) - int(by.total_seconds())
    announced = (datetime.strptime(item["announced"]["S"], "%Y-%m-%d") - by).strftime("%Y-%m-%d")
    item["first_sent"] = {"N": str(sent)}
    item["announced"] = {"S": announced}
    item["version"] = {"N": str(int(item["version"]["N"]) + 1)}
    table.put_item(TableName=TABLE, Item=item)
    return announced


def sweep(binary: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary, "sweep", "--show-digest", "--show-chat"], env=env, capture_output=True,
        text=True, timeout=120,
    )


def sweep_outcome(binary: str, env: dict, title: str) -> dict | None:
    """A sweep's outcome under the heading `title`, or None (its failure
    printed)."""
    done = sweep(binary, env)
    if done.returncode != 0:
        print(f"  FAILED (exit {done.returncode}): {done.stderr.strip()}")
        return None
    print(f"# {title}")
    return json.loads(done.stdout)


def chat_topic(endpoint: str) -> str:
    """An SNS topic on the emulator, standing in for the one Amazon Q
    Developer in chat applications delivers to the team's channel."""
    import boto3

    sns = boto3.client(
        "sns", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="demo", aws_secret_access_key="demo",
    )
    return sns.create_topic(Name="access-key-notifier-chat")["TopicArn"]


def print_mail(messages: list[dict]) -> None:
    for m in messages:
        dest = m["destinations"]
        print(f"To: {', '.join(dest.get('ToAddresses', []))}")
        if dest.get("CcAddresses"):
            print(f"Cc: {', '.join(dest['CcAddresses'])}")
        print(f"Subject: {m['subject']}\n")


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
        create_ledger(endpoint)
        for name, user_id, ages, tags, _, service in USERS:
            keys = []
            for age in ages:
                key = {"created": rfc3339(now - timedelta(days=age))}
                if service:
                    key["last_used"] = {"time": rfc3339(now - timedelta(days=1)),
                                        "service": service, "region": "ap-northeast-1"}
                keys.append(key)
            emulator.handle(
                {"op": "create_user", "name": name, "user_id": user_id, "tags": tags,
                 "keys": keys},
                endpoint,
            )
        print(f"AWS emulator (moto) on {endpoint}; sender {SENDER} verified; "
              f"notice ledger in DynamoDB table {TABLE}.")
        print(f"Seeded IAM users on {now.date()}; keys are due 90 days after creation:\n")
        for name, _, ages, tags, _, _ in USERS:
            owner = tags.get("Email", "no owner tag")
            keys = " and ".join(f"{a}" for a in ages)
            print(f"  {name:8} key{'s' if len(ages) > 1 else ''} {keys} days old   {owner}")

        print("\n== Outcomes (one `access-key-notifier invoke` per Config event) ==\n")
        for name, user_id, ages, _, rules, _ in USERS:
            seen = set()
            for rule in rules:
                # A repeated rule is the same event delivered again.
                event = event_for(user_id, rule, f"demo-{name}-{rule}")
                note = " (the same event, delivered again)" if rule in seen else ""
                seen.add(rule)
                run = invoke(binary, event, env)
                print(f"# {name}, rule {rule}{note}")
                if run.returncode != 0:
                    failed = True
                    print(f"  FAILED (exit {run.returncode}): {run.stderr.strip()}")
                    continue
                print("  " + run.stdout.strip())
                for line in run.stderr.strip().splitlines():
                    print(f"  log: {line}")

        print("\n== Mail the emulator's SES accepted (GET /moto-api/data.json) ==\n")
        messages = emulator.messages(endpoint)["messages"]
        print_mail(messages)
        print(f"{len(messages)} mails for {sum(len(u[4]) for u in USERS)} events.\n")

        print("== The notice ledger: one record per key and stage ==\n")
        for item in ledger_records(endpoint):
            _, account, key_id, stage = item["pk"]["S"].split("#")
            print(f"  {item['user']['S']:8} {mask(key_id)}  {stage:8} {item['status']['S']:5} "
                  f"by {item['source']['S']}")

        print("\n== The text part of frank's notice (invoke --dry-run, no ledger) ==\n")
        frank = next(u for u in USERS if u[0] == "frank")
        stateless = {k: v for k, v in env.items() if k != "LEDGER_TABLE"}
        run = invoke(binary, event_for(frank[1], RULE_7, "demo-frank-dry-run"), stateless, "--dry-run")
        print(run.stderr)
        failed |= run.returncode != 0

        failed |= demo_sweep(binary, env, endpoint, now, len(messages))
        failed |= demo_enforcement(binary, env, endpoint, now)
        failed |= demo_rotation(binary, env, endpoint, now)
        failed |= demo_passwords(binary, env, endpoint, now)
    finally:
        server.stop()
    return 1 if failed else 0


def demo_sweep(binary: str, env: dict, endpoint: str, now: datetime, mailed: int) -> bool:
    """The daily sweep over the same account, plus users Config never spoke for."""
    for name, user_id, ages, tags, sent in SWEEP_USERS:
        keys = [{"created": rfc3339(now - timedelta(days=a)),
                 "last_used": {"time": rfc3339(now - timedelta(days=2)), "service": "s3",
                               "region": "ap-northeast-1"}} for a in ages]
        key_ids = emulator.handle({"op": "create_user", "name": name, "user_id": user_id,
                                   "tags": tags, "keys": keys}, endpoint)["keys"]
        for index, stage, days_ago in sent:
            record_sent(endpoint, name, key_ids[index], stage, now - timedelta(days=days_ago))
    # No last use: never used since its creation 70 days ago.
    emulator.handle({"op": "create_user", "name": "kate", "user_id": "AIDADEMOKATE00000070",
                     "tags": {"Email": "kate@example.com"},
                     "keys": [{"created": rfc3339(now - timedelta(days=70))}]}, endpoint)
    print("== The daily sweep (`access-key-notifier sweep --show-digest`) ==\n")
    print("Added users no Config event speaks for:")
    print("  grace    key 79 days old; the 14-day rule turned NON_COMPLIANT while the function was off")
    print("  heidi    key 100 days old; its overdue notice went out 9 days ago (reminders every 7 days)")
    print("  ivan     keys 86 and 77 days old; the first was announced 3 days ago, the second is new")
    print("  kate     key 70 days old, never used: unused, with UNUSED_KEY_DAYS=60\n")
    sweep_env = dict(env, DIGEST_RECIPIENTS=DIGEST_TO, UNUSED_KEY_DAYS="60",
                     CHAT_TOPIC_ARN=chat_topic(env["AWS_ENDPOINT_URL"]))
    run = sweep(binary, sweep_env)
    if run.returncode != 0:
        print(f"  FAILED (exit {run.returncode}): {run.stderr.strip()}")
        return True
    outcome = json.loads(run.stdout)
    print("Outcome:")
    print("  " + json.dumps({k: outcome[k] for k in ("users", "keys", "notices", "skipped")}))
    messages = emulator.messages(endpoint)["messages"][mailed:]
    print(f"\nMail the sweep sent ({len(messages)}):\n")
    print_mail(messages)
    digest = run.stderr[run.stderr.find("Subject: "):] if "Subject: " in run.stderr else ""
    print("The digest's text:\n")
    print(digest[:digest.find("chat: ")] if "chat: " in digest else digest)
    chat = [json.loads(line[len("chat: "):]) for line in run.stderr.splitlines()
            if line.startswith("chat: ")]
    print(f"The chat summary published to CHAT_TOPIC_ARN ({len(chat)} message; "
          "Amazon Q Developer in chat applications shows it in the team's channel):\n")
    for message in chat:
        print(json.dumps(message, indent=2, ensure_ascii=False))
    print(f"\n  chat outcome: {outcome.get('chat')}\n")

    print("== A second sweep the same day ==\n")
    again = sweep(binary, sweep_env)
    if again.returncode != 0:
        print(f"  FAILED (exit {again.returncode}): {again.stderr.strip()}")
        return True
    second = json.loads(again.stdout)
    notices = emulator.messages(endpoint)["messages"][mailed + len(messages):]
    owner_mails = [m for m in notices if DIGEST_TO not in m["destinations"].get("ToAddresses", [])]
    print(f"  notices sent: {second['notices']['sent']}; skipped: {second['skipped']}; "
          f"owner mails: {len(owner_mails)} (only the digest went out)")
    failed = second["notices"]["sent"] != 0 or bool(owner_mails)
    return demo_html_report(binary, sweep_env) or failed


def demo_html_report(binary: str, env: dict) -> bool:
    """`scan --format html`: the auditor's page of the same account, one file."""
    print("\n== The auditor's page (`access-key-notifier scan --format html`) ==\n")
    run = subprocess.run([binary, "scan", "--format", "html"], env=env, capture_output=True,
                         text=True, timeout=120)
    if run.returncode != 0:
        print(f"  FAILED (exit {run.returncode}): {run.stderr.strip()}")
        return True
    path = os.path.join("dist", "demo-report.html")
    os.makedirs("dist", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(run.stdout)
    sections = re.findall(r'<section id="([a-z_]+)" data-section="[a-z_]+" data-count="(\d+)"',
                          run.stdout)
    print(f"  {path}: {len(run.stdout):,} characters, one file (no script, font, style sheet "
          "or image fetched); open it in a browser")
    print("  sections: " + ", ".join(f"{name} {count}" for name, count in sections))
    return "<script" in run.stdout or not sections


def key_statuses(endpoint: str, user: str) -> dict[str, str]:
    """Each key of `user` and its status, as IAM (the emulator) says."""
    import boto3

    iam = boto3.client(
        "iam", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="demo", aws_secret_access_key="demo",
    )
    return {k["AccessKeyId"]: k["Status"]
            for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}


def demo_enforcement(binary: str, env: dict, endpoint: str, now: datetime) -> bool:
    """Enforcement: a final warning on one sweep, a deactivation on a later one."""
    keys = [{"created": rfc3339(now - timedelta(days=a))} for a in (120, 10)]
    old, new = emulator.handle({"op": "create_user", "name": "judy",
                                "user_id": "AIDADEMOJUDY00000120",
                                "tags": {"Email": "judy@example.com"}, "keys": keys},
                               endpoint)["keys"]
    print("\n== Enforcement (ENFORCE=true, ENFORCE_GRACE_DAYS=14) ==\n")
    print("Added judy: a key 120 days old that no notice ever announced, and a key 10 days old.\n")
    # A real key is 120 days old only if it existed 120 days ago, so every
    # credential report would list it; the emulator's report from the
    # sweeps above predates judy: drop it, as the hours passing would.
    emulator.handle({"op": "credential_report", "forget": True}, endpoint)
    enforce_env = dict(env, ENFORCE="true", ENFORCE_GRACE_DAYS="14")
    before = len(emulator.messages(endpoint)["messages"])

    def run(title: str, run_env: dict) -> dict | None:
        outcome = sweep_outcome(binary, run_env, title)
        if outcome is None:
            return None
        e = outcome.get("enforcement", {})
        print("  enforcement: " + json.dumps({k: e.get(k) for k in
              ("mode", "final_warnings", "deactivated", "held_by_cap", "left_alone")}))
        for action in e.get("actions", []):
            print("  action: " + json.dumps(action, ensure_ascii=False))
        statuses = key_statuses(endpoint, "judy")
        print(f"  judy's keys in IAM: {mask(old)} {statuses[old]}, {mask(new)} {statuses[new]}")
        return outcome

    first = run("First enforcing sweep: no notice announced a date, so a final warning", enforce_env)
    mails = emulator.messages(endpoint)["messages"][before:]
    for m in mails:
        print(f"  mail to {m['destinations']['ToAddresses'][0]}: {m['subject']}")
    print()
    same_day = run("A second sweep the same day: the warning is younger than "
                   "ENFORCE_MIN_WARNING_DAYS (3)", enforce_env)
    print()
    # The binary reads the system clock, which the demo cannot move three
    # days on; the ledger's warning is moved three days into the past
    # instead (when it was sent, and the date it announced).
    announced = age_warning(endpoint, old, timedelta(days=3))
    later = run(f"Three days later (the demo moves judy's warning three days back in the "
                f"ledger: the date it announced, {announced}, is today)", enforce_env)
    for m in emulator.messages(endpoint)["messages"][before + len(mails):]:
        print(f"  mail to {m['destinations']['ToAddresses'][0]}: {m['subject']}")
    statuses = key_statuses(endpoint, "judy")
    ok = (first is not None and same_day is not None and later is not None
          and first["enforcement"]["final_warnings"] == 1
          and same_day["enforcement"]["deactivated"] == 0
          and later["enforcement"]["deactivated"] == 1
          and statuses == {old: "Inactive", new: "Active"})
    print("\nRead back from IAM: the old key is Inactive, the new one Active, nothing deleted."
          if ok else "\nUNEXPECTED: see the outcomes above.")
    return not ok


def demo_rotation(binary: str, env: dict, endpoint: str, now: datetime) -> bool:
    """Rotation: a new key into Secrets Manager, the old one retired once the
    new one is used."""
    import boto3

    secrets = boto3.client(
        "secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="demo", aws_secret_access_key="demo",
    )
    old = emulator.handle({"op": "create_user", "name": "deploy-bot",
                           "user_id": "AIDADEMODEPLOYBOT095",
                           "tags": {"Email": "platform-team@example.com",
                                    "KeyRotation": "secrets-manager"},
                           "keys": [{"created": rfc3339(now - timedelta(days=95))}]},
                          endpoint)["keys"][0]
    print("\n== Rotation for machine users (ROTATE=true) ==\n")
    print("Added deploy-bot, tagged KeyRotation=secrets-manager, with a key 95 days old.\n")
    emulator.handle({"op": "credential_report", "forget": True}, endpoint)
    rotate_env = dict(env, ROTATE="true")
    before = len(emulator.messages(endpoint)["messages"])
    printed: list[str] = []

    def run(title: str) -> dict | None:
        done = sweep(binary, rotate_env)
        printed.extend([done.stdout, done.stderr])
        if done.returncode != 0:
            print(f"  FAILED (exit {done.returncode}): {done.stderr.strip()}")
            return None
        outcome = json.loads(done.stdout)
        r = outcome.get("rotation", {})
        print(f"# {title}")
        print("  rotation: " + json.dumps({k: r.get(k) for k in
              ("mode", "rotated", "awaiting_new_key_use", "replaced", "blocked", "failed")}))
        for key in r.get("keys", []):
            print("  key: " + json.dumps(key, ensure_ascii=False))
        statuses = key_statuses(endpoint, "deploy-bot")
        print("  deploy-bot's keys in IAM: "
              + ", ".join(f"{mask(k)} {s}" for k, s in sorted(statuses.items())))
        return outcome

    first = run("First sweep: the key is past its first tier, so it is replaced")
    mails = emulator.messages(endpoint)["messages"][before:]
    for m in mails:
        print(f"  mail to {m['destinations']['ToAddresses'][0]}: {m['subject']}")
    statuses = key_statuses(endpoint, "deploy-bot")
    new = next((k for k in statuses if k != old), None)
    name = "access-key-notifier/123456789012/deploy-bot"
    versions = secrets.list_secret_version_ids(SecretId=name)["Versions"]
    print(f"  Secrets Manager: {name}, {len(versions)} version, holding {mask(new or '-')}")
    print()
    announced = age_warning(endpoint, old, timedelta(days=3))
    waiting = run(f"The date announced has come (the demo moves the warning three days back: "
                  f"{announced}), and nothing has used the new key: the old key stays")
    print()
    emulator.handle({"op": "use_key", "key": new, "time": rfc3339(datetime.now(timezone.utc)),
                     "service": "codebuild", "region": "ap-northeast-1"}, endpoint)
    retired = run("A job now signs with the new key: the next sweep retires the old one")
    for m in emulator.messages(endpoint)["messages"][before + len(mails):]:
        print(f"  mail to {m['destinations']['ToAddresses'][0]}: {m['subject']}")

    value = json.loads(secrets.get_secret_value(SecretId=name)["SecretString"])
    secret = value["SecretAccessKey"]
    everything = "\n".join(printed) + json.dumps(emulator.messages(endpoint)) \
        + json.dumps(dynamodb(endpoint).scan(TableName=TABLE)["Items"])
    statuses = key_statuses(endpoint, "deploy-bot")
    ok = (first is not None and waiting is not None and retired is not None
          and first["rotation"]["rotated"] == 1
          and waiting["rotation"]["awaiting_new_key_use"] == 1
          and retired["enforcement"]["deactivated"] == 1
          and value["AccessKeyId"] == new
          and statuses == {old: "Inactive", new: "Active"}
          and secret not in everything)
    print(f"\nThe secret access key is in Secrets Manager only: searched {len(everything):,} "
          "characters of outcomes, logs, mail and ledger items for it, and it is not there."
          if ok else "\nUNEXPECTED: see the outcomes above.")
    return not ok


def has_login_profile(endpoint: str, user: str) -> bool:
    """Whether IAM (the emulator) has a console password for `user`."""
    import boto3

    iam = boto3.client(
        "iam", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="demo", aws_secret_access_key="demo",
    )
    try:
        iam.get_login_profile(UserName=user)
        return True
    except iam.exceptions.NoSuchEntityException:
        return False


def demo_passwords(binary: str, env: dict, endpoint: str, now: datetime) -> bool:
    """Console passwords: an expiry told before a hard lock-out, an unused
    password warned and then removed."""
    emulator.handle({"op": "password_policy", "max_age": 90, "hard_expiry": True}, endpoint)
    emulator.handle({"op": "create_user", "name": "pia", "user_id": "AIDADEMOPIA000000080",
                     "tags": {"Email": "pia@example.com"},
                     "password": {"changed": rfc3339(now - timedelta(days=80)),
                                  "last_used": rfc3339(now - timedelta(days=1))}}, endpoint)
    emulator.handle({"op": "create_user", "name": "otto", "user_id": "AIDADEMOOTTO00000120",
                     "tags": {"Email": "otto@example.com"},
                     "keys": [{"created": rfc3339(now - timedelta(days=10))}],
                     "password": {"changed": rfc3339(now - timedelta(days=300)),
                                  "last_used": rfc3339(now - timedelta(days=120))}}, endpoint)
    print("\n== Console passwords (PASSWORD_NOTICE_DAYS=14,7, UNUSED_PASSWORD_DAYS=90, "
          "ENFORCE_UNUSED_PASSWORDS=true) ==\n")
    print("The account's password policy: MaxPasswordAge 90, HardExpiry. Added pia, whose "
          "password was set 80 days ago,\nand otto, who has not signed in for 120 days "
          "(and has a key 10 days old).\n")
    emulator.handle({"op": "credential_report", "forget": True}, endpoint)
    run_env = dict(env, PASSWORD_NOTICE_DAYS="14,7", UNUSED_PASSWORD_DAYS="90",
                   ENFORCE_UNUSED_PASSWORDS="true")
    before = len(emulator.messages(endpoint)["messages"])

    def run(title: str) -> dict | None:
        outcome = sweep_outcome(binary, run_env, title)
        if outcome is None:
            return None
        e = outcome.get("enforcement", {})
        print("  passwords: " + json.dumps(outcome.get("passwords")))
        print("  enforcement: " + json.dumps({k: e.get(k) for k in
              ("final_warnings", "passwords_removed", "deactivated")}))
        print(f"  otto's console password in IAM: "
              f"{'present' if has_login_profile(endpoint, 'otto') else 'removed'}")
        return outcome

    first = run("First sweep: pia's expiry (10 days left, the 14-day tier) and otto's "
                "final warning")
    mails = emulator.messages(endpoint)["messages"][before:]
    for m in mails:
        print(f"  mail to {m['destinations']['ToAddresses'][0]}: {m['subject']}")
    print()
    otto_user = "AIDADEMOOTTO00000120"
    announced = age_warning(endpoint, f"password:{otto_user}#unused", timedelta(days=3))
    later = run(f"Three days later (the demo moves otto's warning three days back: the date "
                f"it announced, {announced}, is today)")
    for m in emulator.messages(endpoint)["messages"][before + len(mails):]:
        print(f"  mail to {m['destinations']['ToAddresses'][0]}: {m['subject']}")
    statuses = key_statuses(endpoint, "otto")
    ok = (first is not None and later is not None
          and first["passwords"]["expiring"] == 1 and first["passwords"]["unused"] == 1
          and first["enforcement"]["final_warnings"] == 1
          and later["enforcement"]["passwords_removed"] == 1
          and not has_login_profile(endpoint, "otto")
          and has_login_profile(endpoint, "pia")
          and list(statuses.values()) == ["Active"])
    print("\nRead back from IAM: otto's login profile is gone, his key still Active; "
          "pia keeps her password." if ok else "\nUNEXPECTED: see the outcomes above.")
    return not ok


if __name__ == "__main__":
    sys.exit(main())
