"""AWS emulator for the tests and the demo: moto on loopback, seeded in-process.

Started by the Rust tests (tests/common/mod.rs) and by scripts/demo.py. It
starts `moto.server.ThreadedMotoServer` on 127.0.0.1 with a free port, prints
one JSON line `{"endpoint": "http://127.0.0.1:PORT"}` on stdout, then reads
one JSON command per line on stdin and answers each with one JSON line. It
stops when stdin closes, so a test that dies never leaves a server behind.

Commands (all times are RFC 3339 UTC strings):

  {"op": "verify_sender", "address": "noreply@example.com"}
  {"op": "create_user", "name": "alice", "user_id": "AIDA...",
   "tags": {"Email": "alice@example.com"},
   "keys": [{"created": "2025-04-07T03:23:19Z", "status": "Active",
             "last_used": {"time": "...", "service": "s3", "region": "us-east-1"},
             "id": "AKIA... (optional: a fixed key id)"}]}
      -> {"ok": true, "keys": ["AKIA..."]}
  {"op": "create_users", "prefix": "filler", "count": 1050}
  {"op": "create_users", "prefix": "u", "count": 5000, "ages": [80, 20, 20],
   "owner_tags": true}
      with one active key per user, its age in days taken from `ages` in
      turn, and an Email tag `<name>@example.com` when owner_tags is true
  {"op": "messages"}   -> {"ok": true, "messages": [...]}  (GET /moto-api/data.json)
  {"op": "requests"}   -> {"ok": true, "requests": {"iam:ListUsers": 1, ...}}
  {"op": "reset_requests"}
  {"op": "limit_iam", "latency_ms": 20, "rate": 200}
      every IAM request takes latency_ms longer, and past `rate` requests a
      second (a token bucket of one second's worth) IAM answers 400
      Throttling, as IAM does past its account-wide request rate; rate 0 or
      absent: no cap. The throttled count is in "requests" as iam:Throttled.
  {"op": "rotate_after_listing", "user": "judy"}
      right after the next ListAccessKeys of that user is answered, the
      user's keys are replaced by one new active key, as an owner rotating
      between the notifier's decision and its action would
  {"op": "hand_name_over_after_listing", "user": "judy", "listings": 2,
   "newcomer": {create_user's command}}
      right after the listings-th ListAccessKeys of that user is answered,
      the user is renamed to `judy-renamed` (keys and tags go with it) and
      the newcomer is created, as a rename and a new hire taking the old
      name between two of the notifier's reads would
  {"op": "credential_report", "root_key_active": true, "refuse": true,
   "dated_back_hours": 6, "account": "123456789012"}
      any of: the root has an active access key (in reports made later);
      GenerateCredentialReport and GetCredentialReport answer AccessDenied;
      GetCredentialReport's GeneratedTime is that many hours earlier than
      the report's (a stale answer IAM should never give); "refuse": false
      serves the report again
  {"op": "credential_report", "forget": true}
      the report made is dropped, as four hours passing would: the next
      GenerateCredentialReport makes a new one (users seeded with old keys
      after a report are not in it otherwise)
  {"op": "use_key", "key": "AKIA...", "time": "...", "service": "s3",
   "region": "us-east-1"}
      records a use of that key, as a request signed with it would:
      GetAccessKeyLastUsed shows it at once, a credential report made
      before it does not
  {"op": "slow", "action": "iam:ListUsers", "ms": 3000}
      every later request of that "service:Action" takes ms longer
  {"op": "fail_next", "action": "secretsmanager:PutSecretValue", "status": 500,
   "code": "InternalServiceError", "message": "...", "times": 3}
      the next `times` (default 1) requests of that "service:Action" (a
      JSON-protocol service) answer with that error and change nothing;
      counted in "requests" as the action with "Failed" appended
  {"op": "reset"}

Organizations (the function's own account is 123456789012, as moto's
default credentials say):

  create_user and create_users take "account": "111111111111" to seed
      another account's IAM (default 123456789012)
  {"op": "set_alias", "account": "111111111111", "alias": "prod-payments"}
  {"op": "refuse_assume_role", "account": "333333333333"}
      STS AssumeRole into any role of that account answers 403
      AccessDenied, as a member account whose role is missing or does not
      trust the caller would (moto does not evaluate trust policies)
  {"op": "create_organization", "management": "999999999999",
   "accounts": ["111111111111", ...]}
      an Organization whose management account is `management`, with
      these member accounts (moto draws random ids; they are set here)
  {"op": "iam_by_account"} -> {"ok": true, "accounts": {"111111111111": 242, ...}}
      IAM calls per account since the last reset_requests

Why seed in-process: IAM's API cannot create a key with a past CreateDate or
a user with a chosen UserId, and the notifier's whole point is the age of
keys and the mapping from Config's resourceId (a UserId) to a user name.

Four behaviours are adjusted to match the services; the rest of moto is used
as shipped (but for one change of speed, below):

- moto's ListUsers returns every user in one response and ignores MaxItems
  and Marker. IAM pages (MaxItems 1..1000, default 100, IsTruncated +
  Marker), and the notifier must page, so the emulator pages the same way.
- moto keeps tags by the user's ARN, which contains the name, so UpdateUser
  with NewUserName loses them. IAM keeps a renamed user's tags (the owner
  tag the notifier reads), so the emulator moves them to the new ARN.
- moto's server answers requests on several threads and its DynamoDB
  backend takes no lock, so two conditional writes of one item at the same
  moment can both pass their condition. DynamoDB applies writes to an item
  one at a time, and the notifier's claims and daily cap rely on that, so
  the emulator serves DynamoDB requests one at a time.
- moto's credential report is rebuilt on every GetCredentialReport, dated
  2015, without the `<root_account>` row, and with `not_supported` for a
  key's last-use region and service. IAM makes a report when
  GenerateCredentialReport is called (STARTED, then COMPLETE), hands the
  same report back for four hours (later changes are not in it), dates it
  with GeneratedTime, writes the root row first and a key's last-use date,
  region and service; the emulator does the same, per account. Its
  password columns follow IAM too: `N/A` for a user without a password,
  `no_information` for a password never used, `not_supported` on the root
  row, and `password_next_rotation` only under a password policy with a
  maximum age.
- moto dates a login profile (GetLoginProfile's CreateDate) by the user's
  creation; IAM by when the password was set, which the emulator keeps.

One change is for speed alone and changes no answer: moto's server lists
its own package directory (an isdir per service, about 200) on every
request to find the service a host names, under a lock every request
takes; the list never changes while the server runs, so it is read once.
SES v2's request router is built at start rather than on the first mail,
and each handler class's method names are listed once, not per request.
That listing, not the services, was what capped the emulator's request
rate in the sweep benchmark (seen in a py-spy profile).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone

from collections import Counter

from moto import backends as moto_backends
from moto.core.responses import ActionResult, BaseResponse
from moto.core import responses as moto_responses
from moto.core.routing import get_service_router
from moto.core.utils import method_names_from_class as _method_names_from_class
from moto.iam.exceptions import IAMException, ReportNotPresentException
from moto.iam.models import AccessKeyLastUsed, IAMBackend, iam_backends
from moto.iam.responses import IamResponse
from moto.organizations.models import organizations_backends
from moto.securityhub.models import Finding as HubFinding, SecurityHubBackend
from moto.securityhub.exceptions import InvalidInputException
from moto.server import ThreadedMotoServer
from moto.ses.models import ses_backends

ACCOUNT = "123456789012"
SES_REGION = "us-east-1"

_MOTO_MODULES = tuple(moto_backends.list_of_moto_modules())
moto_backends.list_of_moto_modules = lambda: _MOTO_MODULES  # type: ignore[assignment]
# SES v2 routes by path: its router (werkzeug rules compiled per
# operation, about a second) is built here, not inside the first
# SendEmail a test or benchmark times.
get_service_router("sesv2")
# Every request lists its handler class's methods (inspect.getmembers);
# the classes are patched above, before the first request, and not after.
_METHOD_NAMES: dict = {}


def _method_names(clazz):
    if clazz not in _METHOD_NAMES:
        _METHOD_NAMES[clazz] = _method_names_from_class(clazz)
    return _METHOD_NAMES[clazz]


moto_responses.method_names_from_class = _method_names  # type: ignore[assignment]


def _paged_list_users(self: IamResponse) -> ActionResult:
    path_prefix = self._get_param("PathPrefix")
    users = list(self.backend.list_users(path_prefix, None, None))
    max_items = int(self._get_param("MaxItems") or 100)
    start = int(self._get_param("Marker") or 0)
    end = start + max_items
    result: dict = {"Users": users[start:end], "IsTruncated": end < len(users)}
    if end < len(users):
        result["Marker"] = str(end)
    return ActionResult(result)


IamResponse.list_users = _paged_list_users  # type: ignore[method-assign]

_update_user = IAMBackend.update_user


def _update_user_keeping_tags(self: IAMBackend, user_name: str, new_path=None, new_user_name=None):
    old_arn = self.get_user(user_name).arn
    tags = self.tagger.list_tags_for_resource(old_arn)["Tags"]
    _update_user(self, user_name, new_path, new_user_name)
    if new_user_name and tags:
        self.tagger.delete_all_tags_for_resource(old_arn)
        self.tagger.tag_resource(self.get_user(new_user_name).arn, tags)


IAMBackend.update_user = _update_user_keeping_tags  # type: ignore[method-assign]


REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
REPORT_REUSE = timedelta(hours=4)
# account -> (generated at, CSV text); ROOT_KEY_ACTIVE: accounts whose root
# has an active access key; REPORT_REFUSED: accounts whose report is denied.
REPORTS: dict = {}
ROOT_KEY_ACTIVE: set = set()
REPORT_REFUSED: set = set()
REPORT_DATED_BACK: dict = {}


def _iso(t) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _csv_cell(c: str) -> str:
    """A cell quoted as RFC 4180 quotes it, where it needs quoting."""
    if any(ch in c for ch in ',"\n'):
        return '"' + c.replace('"', '""') + '"'
    return c


def _report_csv(backend: IAMBackend) -> str:
    """The report as IAM writes it: the root row first, then each user."""
    rows = [REPORT_HEADER]
    root_key = "true" if backend.account_id in ROOT_KEY_ACTIVE else "false"
    rotated = "2020-01-01T00:00:00+00:00" if root_key == "true" else "N/A"
    rows.append(
        f"<root_account>,arn:aws:iam::{backend.account_id}:root,2020-01-01T00:00:00+00:00,"
        f"not_supported,no_information,not_supported,not_supported,true,{root_key},{rotated},"
        "N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
    )
    for user in backend.users.values():
        cells = [user.name, user.arn, _iso(user.create_date), *_password_cells(backend, user), "false"]
        keys = list(user.access_keys)[:2]
        for i in range(2):
            if i < len(keys):
                key = keys[i]
                used = key.last_used
                cells += [
                    "true" if key.status == "Active" else "false",
                    _iso(key.create_date),
                    _iso(used.timestamp) if used else "N/A",
                    used.region if used else "N/A",
                    used.service if used else "N/A",
                ]
            else:
                cells += ["false", "N/A", "N/A", "N/A", "N/A"]
        cells += ["false", "N/A", "false", "N/A"]
        rows.append(",".join(_csv_cell(c) for c in cells))
    return "\n".join(rows) + "\n"


def _password_changed(user) -> datetime:
    """When the user's password was set: seeded by `create_user`, else the
    user's creation (moto keeps no such date)."""
    return getattr(user, "password_changed", None) or user.create_date


def _password_cells(backend: IAMBackend, user) -> list:
    """password_enabled, password_last_used, password_last_changed and
    password_next_rotation as IAM writes them: `N/A` without a password,
    `no_information` for a password never used, the next rotation only
    under a password policy with a maximum age."""
    if not user.password:
        return ["false", "N/A", "N/A", "N/A"]
    used = user.password_last_used
    changed = _password_changed(user)
    policy = backend.account_password_policy
    max_age = policy.max_password_age if policy and policy.expire_passwords else 0
    rotation = _iso(changed + timedelta(days=max_age)) if max_age else "N/A"
    return ["true", _iso(used) if used else "no_information", _iso(changed), rotation]


def _get_login_profile(self: IamResponse) -> ActionResult:
    """moto dates a login profile by the user's creation; IAM by the
    password's (the profile is recreated when an administrator resets it)."""
    user = self.backend.get_login_profile(self._get_param("UserName"))
    return ActionResult(
        {
            "LoginProfile": {
                "UserName": user.name,
                "CreateDate": _password_changed(user),
                "PasswordResetRequired": user.password_reset_required,
            }
        }
    )


IamResponse.get_login_profile = _get_login_profile  # type: ignore[method-assign]


# Security Hub as its API reference states it, where moto is looser:
# BatchImportFindings takes 1 to 100 findings, refuses a finding without
# ASFF's required attributes, and updates an existing finding only when its
# UpdatedAt is later; GetFindings applies EQUALS string filters. Findings
# whose Id contains a string of HUB_REFUSE are refused with its code.
ASFF_REQUIRED = (
    "AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn",
    "Resources", "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt",
)
HUB_REFUSE: dict = {}


def _batch_import_findings(self, findings):
    if not 1 <= len(findings) <= 100:
        raise InvalidInputException(
            op="BatchImportFindings", msg="Findings must hold 1 to 100 findings"
        )
    failed, success = [], 0
    for data in findings:
        fid = data.get("Id", "")
        missing = [a for a in ASFF_REQUIRED if not data.get(a)]
        refused = next((code for part, code in HUB_REFUSE.items() if part in fid), None)
        if missing or refused:
            failed.append({"Id": fid, "ErrorCode": refused or "InvalidInput",
                           "ErrorMessage": f"missing {missing}" if missing else "refused"})
            continue
        existing = next((f for f in self.findings if f.id == fid), None)
        if existing is None:
            self.findings.append(HubFinding(fid, data))
        elif data["UpdatedAt"] > existing.data.get("UpdatedAt", ""):
            existing.data = data
        success += 1
    return len(failed), success, failed


def _matches(data: dict, filters: dict) -> bool:
    for field, conditions in (filters or {}).items():
        wanted = [c["Value"] for c in conditions if c.get("Comparison") == "EQUALS"]
        if wanted and data.get(field) not in wanted:
            return False
    return True


def _get_findings(self, filters=None, sort_criteria=None, max_results=None, next_token=None):
    found = [f.as_dict() for f in self.findings if _matches(f.data, filters)]
    start, size = int(next_token or 0), int(max_results or 100)
    after = start + size
    return found[start:after], (str(after) if after < len(found) else None)


SecurityHubBackend.batch_import_findings = _batch_import_findings  # type: ignore[method-assign]
SecurityHubBackend.get_findings = _get_findings  # type: ignore[method-assign]


class ReportAccessDenied(IAMException):
    code = "AccessDenied"

    def __init__(self) -> None:
        super().__init__("User is not authorized to perform: iam:GenerateCredentialReport")


def _generate_credential_report(self: IamResponse) -> ActionResult:
    account = self.current_account
    if account in REPORT_REFUSED:
        raise ReportAccessDenied()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    kept = REPORTS.get(account)
    if kept and now - kept[0] < REPORT_REUSE:
        return ActionResult({"State": "COMPLETE"})
    REPORTS[account] = (now, _report_csv(_iam(account)))
    return ActionResult({"State": "STARTED", "Description": "Starting a new report generation task"})


def _get_credential_report(self: IamResponse) -> ActionResult:
    account = self.current_account
    if account in REPORT_REFUSED:
        raise ReportAccessDenied()
    kept = REPORTS.get(account)
    if not kept:
        raise ReportNotPresentException("Credential report not present")
    generated, text = kept
    generated -= REPORT_DATED_BACK.get(account, timedelta(0))
    return ActionResult({
        # moto's serializer writes the blob shape base64-encoded, as IAM does.
        "Content": text,
        "ReportFormat": "text/csv",
        "GeneratedTime": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
    })


IamResponse.generate_credential_report = _generate_credential_report  # type: ignore[method-assign]
IamResponse.get_credential_report = _get_credential_report  # type: ignore[method-assign]

# Every API request the emulator serves, as "service:Action", so tests and
# benchmarks can count the calls a notice costs.
REQUESTS: Counter = Counter()
_call_action = BaseResponse.call_action


class IamLimits:
    """Latency and a request-rate cap for IAM, standing in for the service."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency = 0.0
        self.rate = 0.0
        self.tokens = 0.0
        self.last = time.monotonic()

    def set(self, latency_ms: float, rate: float) -> None:
        with self.lock:
            self.latency, self.rate = latency_ms / 1000.0, float(rate)
            self.tokens, self.last = self.rate, time.monotonic()

    def admit(self) -> bool:
        """Takes one token; False when the bucket is empty (throttle)."""
        with self.lock:
            if self.rate <= 0:
                return True
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


IAM_LIMITS = IamLimits()


def _counting_call_action(self: BaseResponse):
    action = f"{self.service_name}:{self._get_action()}"
    if action == "sts:AssumeRole":
        role_account = (self._get_param("RoleArn") or "").split(":")[4:5]
        if role_account and role_account[0] in REFUSED_ACCOUNTS:
            REQUESTS["sts:AssumeRoleRefused"] += 1
            return 403, {"Content-Type": "text/xml"}, ACCESS_DENIED_BODY
    delay = SLOW.get(action)
    if delay:
        time.sleep(delay)
    with ROTATE_LOCK:
        failure = FAIL_NEXT.get(action)
        if failure is not None:
            failure["times"] -= 1
            if failure["times"] <= 0:
                del FAIL_NEXT[action]
    if failure is not None:
        REQUESTS[f"{action}Failed"] += 1
        body = json.dumps({"__type": failure["code"], "message": failure.get("message", "")})
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": failure["code"]}
        return int(failure.get("status", 500)), headers, body
    if self.service_name == "iam":
        if IAM_LIMITS.latency:
            time.sleep(IAM_LIMITS.latency)
        if not IAM_LIMITS.admit():
            REQUESTS["iam:Throttled"] += 1
            return 400, {"Content-Type": "text/xml"}, THROTTLED_BODY
    REQUESTS[action] += 1
    if self.service_name == "iam":
        IAM_BY_ACCOUNT[self.current_account] += 1
    if self.service_name == "dynamodb":
        with DYNAMODB_LOCK:
            answer = _call_action(self)
    else:
        answer = _call_action(self)
    if action == "iam:ListAccessKeys":
        user = self._get_param("UserName")
        with ROTATE_LOCK:
            rotate = user in ROTATE_AFTER_LISTING
            ROTATE_AFTER_LISTING.discard(user)
        if rotate:
            iam = _iam()
            for key in list(iam.get_user(user).access_keys):
                iam.delete_access_key(key.access_key_id, user)
            iam.create_access_key(user)
        with ROTATE_LOCK:
            handover = HAND_OVER.get(user)
            if handover is not None:
                handover["listings"] -= 1
                if handover["listings"] <= 0:
                    del HAND_OVER[user]
                else:
                    handover = None
        if handover is not None:
            # The user is renamed and a newcomer takes the name, between
            # this answer and the next request.
            _iam().update_user(user, new_user_name=f"{user}-renamed")
            create_user(handover["newcomer"])
    return answer


ROTATE_AFTER_LISTING: set = set()
# user name -> {"listings": n, "newcomer": create_user command}: after the
# n-th ListAccessKeys of the user, the name passes to the newcomer.
HAND_OVER: dict = {}
# "service:Action" -> seconds every such request takes.
SLOW: dict = {}
# "service:Action" -> the error its next request answers with.
FAIL_NEXT: dict = {}
IAM_BY_ACCOUNT: Counter = Counter()
REFUSED_ACCOUNTS: set = set()
ACCESS_DENIED_BODY = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<Error><Type>Sender</Type><Code>AccessDenied</Code>"
    "<Message>User is not authorized to perform: sts:AssumeRole</Message></Error>"
    "<RequestId>refused</RequestId></ErrorResponse>"
)
ROTATE_LOCK = threading.Lock()
DYNAMODB_LOCK = threading.Lock()


THROTTLED_BODY = (
    '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
    "<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    "<RequestId>throttled</RequestId></ErrorResponse>"
)


BaseResponse.call_action = _counting_call_action  # type: ignore[method-assign]


def _naive_utc(text: str) -> datetime:
    """moto keeps IAM dates as naive UTC datetimes."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(timezone.utc).replace(tzinfo=None)


def _iam(account: str = ACCOUNT):
    return iam_backends[account]["global"]


def create_organization(cmd: dict) -> dict:
    orgs = organizations_backends[cmd["management"]]["aws"]
    orgs.create_organization("us-east-1", FeatureSet="ALL")
    for account in cmd["accounts"]:
        orgs.create_account(AccountName=f"member-{account}", Email=f"aws+{account}@example.com")
        orgs.accounts[-1].id = account
    return {"ok": True}


def create_user(cmd: dict) -> dict:
    iam = _iam(cmd.get("account") or ACCOUNT)
    tags = [{"Key": k, "Value": v} for k, v in (cmd.get("tags") or {}).items()]
    user = iam.create_user("us-east-1", cmd["name"], tags=tags)
    if cmd.get("user_id"):
        user.id = cmd["user_id"]
    key_ids = []
    for spec in cmd.get("keys") or []:
        key = iam.create_access_key(cmd["name"], status=spec.get("status", "Active"))
        if spec.get("id"):
            # A fixed key id (moto draws random ones), re-keyed in the
            # backend's own index.
            iam.access_keys.pop(key.access_key_id, None)
            key.access_key_id = spec["id"]
            iam.access_keys[key.access_key_id] = key
        key.create_date = _naive_utc(spec["created"])
        used = spec.get("last_used")
        if used:
            key.last_used = AccessKeyLastUsed(
                _naive_utc(used["time"]), used["service"], used["region"]
            )
        key_ids.append(key.access_key_id)
    password = cmd.get("password")
    if password:
        # A console password set at `changed`, last used at `last_used`
        # (absent: never used).
        user.password = "emulated-password"
        user.password_changed = _naive_utc(password["changed"])
        used = password.get("last_used")
        user.password_last_used = _naive_utc(used) if used else None
    return {"ok": True, "keys": key_ids}


def use_password(cmd: dict) -> dict:
    user = _iam(cmd.get("account") or ACCOUNT).get_user(cmd["name"])
    user.password_last_used = _naive_utc(cmd["time"])
    return {"ok": True}


def password_policy(cmd: dict) -> dict:
    """The account's password policy: `max_age` days (0: passwords never
    expire) and `hard_expiry`; `delete` removes it."""
    iam = _iam(cmd.get("account") or ACCOUNT)
    if cmd.get("delete"):
        iam.account_password_policy = None
        return {"ok": True}
    iam.update_account_password_policy(
        allow_change_password=True,
        hard_expiry=bool(cmd.get("hard_expiry")),
        max_password_age=int(cmd.get("max_age") or 0),
        minimum_password_length=14,
        password_reuse_prevention=0,
        require_lowercase_characters=True,
        require_numbers=True,
        require_symbols=True,
        require_uppercase_characters=True,
    )
    return {"ok": True}


def use_key(cmd: dict) -> dict:
    iam = _iam(cmd.get("account") or ACCOUNT)
    for user in iam.users.values():
        for key in user.access_keys:
            if key.access_key_id == cmd["key"]:
                key.last_used = AccessKeyLastUsed(
                    _naive_utc(cmd["time"]), cmd["service"], cmd["region"]
                )
                return {"ok": True}
    return {"ok": False, "error": f"no key {cmd['key']}"}


def create_users(cmd: dict) -> dict:
    iam = _iam(cmd.get("account") or ACCOUNT)
    ages = cmd.get("ages") or []
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for i in range(int(cmd["count"])):
        name = f"{cmd['prefix']}-{i:05d}"
        tags = [{"Key": "Email", "Value": f"{name}@example.com"}] if cmd.get("owner_tags") else []
        iam.create_user("us-east-1", name, tags=tags)
        if ages:
            key = iam.create_access_key(name)
            key.create_date = now - timedelta(days=ages[i % len(ages)])
    return {"ok": True}


def messages(endpoint: str) -> dict:
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=10) as resp:
        data = json.load(resp)
    found = data.get("ses", {}).get("Message", [])
    if isinstance(found, dict):  # keyed by region in some moto versions
        found = [m for msgs in found.values() for m in msgs]
    return {"ok": True, "messages": found}


def handle(cmd: dict, endpoint: str) -> dict:
    op = cmd.get("op")
    if op == "verify_sender":
        ses_backends[ACCOUNT][SES_REGION].verify_email_identity(cmd["address"])
        return {"ok": True}
    if op == "create_user":
        return create_user(cmd)
    if op == "create_users":
        return create_users(cmd)
    if op == "hub_refuse":
        HUB_REFUSE[cmd["id_containing"]] = cmd["code"]
        return {"ok": True}
    if op == "use_password":
        return use_password(cmd)
    if op == "password_policy":
        return password_policy(cmd)
    if op == "use_key":
        return use_key(cmd)
    if op == "messages":
        return messages(endpoint)
    if op == "requests":
        return {"ok": True, "requests": dict(REQUESTS)}
    if op == "limit_iam":
        IAM_LIMITS.set(float(cmd.get("latency_ms") or 0), float(cmd.get("rate") or 0))
        return {"ok": True}
    if op == "rotate_after_listing":
        with ROTATE_LOCK:
            ROTATE_AFTER_LISTING.add(cmd["user"])
        return {"ok": True}
    if op == "hand_name_over_after_listing":
        with ROTATE_LOCK:
            HAND_OVER[cmd["user"]] = {"listings": int(cmd["listings"]), "newcomer": cmd["newcomer"]}
        return {"ok": True}
    if op == "credential_report":
        account = cmd.get("account") or ACCOUNT
        if cmd.get("refuse"):
            REPORT_REFUSED.add(account)
        elif cmd.get("refuse") is False:
            REPORT_REFUSED.discard(account)
        if cmd.get("root_key_active"):
            ROOT_KEY_ACTIVE.add(account)
        if cmd.get("forget"):
            REPORTS.pop(account, None)
        if "dated_back_hours" in cmd:
            REPORT_DATED_BACK[account] = timedelta(hours=float(cmd["dated_back_hours"]))
        return {"ok": True}
    if op == "slow":
        SLOW[cmd["action"]] = float(cmd["ms"]) / 1000.0
        return {"ok": True}
    if op == "fail_next":
        with ROTATE_LOCK:
            FAIL_NEXT[cmd["action"]] = {**cmd, "times": int(cmd.get("times") or 1)}
        return {"ok": True}
    if op == "set_alias":
        _iam(cmd["account"]).create_account_alias(cmd["alias"])
        return {"ok": True}
    if op == "refuse_assume_role":
        REFUSED_ACCOUNTS.add(cmd["account"])
        return {"ok": True}
    if op == "create_organization":
        return create_organization(cmd)
    if op == "iam_by_account":
        return {"ok": True, "accounts": dict(IAM_BY_ACCOUNT)}
    if op == "reset_requests":
        REQUESTS.clear()
        IAM_BY_ACCOUNT.clear()
        return {"ok": True}
    if op == "reset":
        urllib.request.urlopen(
            urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10
        ).close()
        return {"ok": True}
    return {"ok": False, "error": f"unknown op {op!r}"}


def start() -> tuple[ThreadedMotoServer, str]:
    """Starts the emulator on a free loopback port; returns it and its URL."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log on stderr
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def main() -> int:
    server, endpoint = start()
    print(json.dumps({"endpoint": endpoint}), flush=True)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                reply = handle(json.loads(line), endpoint)
            except Exception as exc:  # reported to the caller, which fails the test
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(reply, default=str), flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
