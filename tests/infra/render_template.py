"""Evaluates the parts of infra/template.yaml that must agree with each other.

Usage: python render_template.py TEMPLATE '{"Param": "value", ...}'

TEMPLATE is infra/template.yaml (central or single account) or
infra/member.yaml (the StackSet's member account); the same keys come out of
both, empty where a template has no such part. A resource whose Condition is
false is left out, as CloudFormation leaves it out.

Prints one JSON object:
  config_rules    every AWS::Config::ConfigRule: name, source, maxAccessKeyAge
                  and maxCredentialUsageAge (0 where a rule has none)
  function_env    the function's environment variables, resolved
  pattern_rules   the configRuleName list of the EventBridge rule's pattern
  rule_age        the RuleAge mapping as written
  schedule_input  the sweep schedule's target input, resolved
  role_policies   the function role's inline policies, resolved: conditions
                  evaluated, AWS::NoValue dropped, GetAtt as "GETATT:Name"
  event_rules     every AWS::Events::Rule: bus (null: default), the
                  configRuleName list of its pattern, its targets' ARNs
  roles           every AWS::IAM::Role: name (null: generated), trusted
                  principals, inline policies resolved like role_policies
  bus_policy      the central bus policy's statement, resolved
  kms_keys        every AWS::KMS::Key: its key policy, resolved
  existing        the logical ids of the resources whose Condition holds
  resources       every resource as written (for structural checks)

Parameters take their template defaults unless given. Only the intrinsic
functions those values use are evaluated (Ref, Fn::Sub, Fn::FindInMap, and
for the role Fn::If with Fn::Equals / Fn::Not / Fn::And / Fn::Or conditions); any other one is
an error, so the check can't pass by skipping a value.
"""

from __future__ import annotations

import json
import re
import sys

from cfnlint.decode import cfn_yaml

PSEUDO = {
    "AWS::StackName": "akn",
    "AWS::AccountId": "123456789012",
    "AWS::Region": "ap-northeast-1",
    "AWS::Partition": "aws",
}


NO_VALUE = object()


class Template:
    def __init__(self, doc: dict, overrides: dict):
        self.doc = doc
        self.params = {
            name: str(spec["Default"])
            for name, spec in doc.get("Parameters", {}).items()
            if "Default" in spec
        }
        self.params.update({k: str(v) for k, v in overrides.items()})
        self.resources = doc["Resources"]

    def ref(self, name: str):
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.params:
            return self.params[name]
        resource = self.resources.get(name)
        if resource and resource["Type"] == "AWS::Config::ConfigRule":
            return self.eval(resource["Properties"]["ConfigRuleName"])
        if resource and resource["Type"] == "AWS::SQS::Queue":  # Ref is the URL
            return (
                f"https://sqs.{PSEUDO['AWS::Region']}.amazonaws.com/"
                f"{PSEUDO['AWS::AccountId']}/{PSEUDO['AWS::StackName']}-{name}-GENERATED"
            )
        if resource and resource["Type"] == "AWS::SNS::Topic":  # Ref is the ARN
            return (
                f"arn:aws:sns:{PSEUDO['AWS::Region']}:{PSEUDO['AWS::AccountId']}:"
                f"{PSEUDO['AWS::StackName']}-{name}-GENERATED"
            )
        if resource and resource["Type"] == "AWS::Events::EventBus":
            return self.eval(resource["Properties"]["Name"])
        if resource:  # a generated physical name
            return f"{PSEUDO['AWS::StackName']}-{name}-GENERATED"
        raise ValueError(f"cannot evaluate Ref {name}")

    def eval(self, value):
        if isinstance(value, (str, int, float)):
            return str(value)
        if isinstance(value, list):
            return [v for v in (self.eval(v) for v in value) if v is not NO_VALUE]
        if isinstance(value, dict) and len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Fn::If":
                name, then, otherwise = arg
                return self.eval(then if self.condition(name) else otherwise)
            if fn == "Fn::GetAtt":
                return f"GETATT:{arg[0] if isinstance(arg, list) else arg.split('.')[0]}"
            if fn == "Ref":
                return self.ref(arg)
            if fn == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else arg
                def sub(m):
                    key = m.group(1)
                    return self.eval(variables[key]) if key in variables else self.ref(key)
                return re.sub(r"\$\{([^}!.]+)\}", sub, text)
            if fn == "Fn::FindInMap":
                name, first, second = (self.eval(a) for a in arg)
                return str(self.doc["Mappings"][name][first][second])
        if isinstance(value, dict):
            return {k: v for k, v in ((k, self.eval(v)) for k, v in value.items()) if v is not NO_VALUE}
        raise ValueError(f"cannot evaluate {value!r}")

    def exists(self, logical: str) -> bool:
        name = self.resources[logical].get("Condition")
        return name is None or self.condition(name)

    def condition(self, name: str) -> bool:
        return self.truth(self.doc["Conditions"][name])

    def truth(self, expr) -> bool:
        (fn, arg), = expr.items()
        if fn == "Fn::Equals":
            left, right = (self.eval(a) for a in arg)
            return left == right
        if fn == "Fn::Not":
            return not self.truth(arg[0])
        if fn == "Condition":
            return self.condition(arg)
        if fn == "Fn::And":
            return all(self.truth(a) for a in arg)
        if fn == "Fn::Or":
            return any(self.truth(a) for a in arg)
        raise ValueError(f"cannot evaluate condition {expr!r}")


def main() -> int:
    with open(sys.argv[1]) as f:
        doc = cfn_yaml.loads(f.read())
    t = Template(doc, json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
    rules = []
    pattern_rules = None
    env = None
    schedule_input = None
    role_policies = (
        t.eval(t.resources["FunctionRole"]["Properties"]["Policies"])
        if "FunctionRole" in t.resources
        else []
    )
    event_rules = []
    roles = {}
    bus_policy = None
    kms_keys = {}
    for logical, res in t.resources.items():
        if not t.exists(logical):
            continue
        props = res.get("Properties", {})
        if res["Type"] == "AWS::Events::Rule":
            event_rules.append({
                "logical_id": logical,
                "bus": t.eval(props["EventBusName"]) if "EventBusName" in props else None,
                "pattern_rules": (
                    t.eval(props["EventPattern"]["detail"]["configRuleName"])
                    if "configRuleName" in props["EventPattern"]["detail"]
                    else None
                ),
                "pattern": t.eval(props["EventPattern"]),
                "targets": [t.eval(target["Arn"]) for target in props["Targets"]],
            })
            if event_rules[-1]["bus"] is NO_VALUE:  # the default bus
                event_rules[-1]["bus"] = None
        elif res["Type"] == "AWS::IAM::Role":
            roles[logical] = {
                "name": t.eval(props["RoleName"]) if "RoleName" in props else None,
                "trusted": [
                    t.eval(statement["Principal"])
                    for statement in props["AssumeRolePolicyDocument"]["Statement"]
                ],
                "policies": t.eval(props.get("Policies", [])),
            }
            if roles[logical]["name"] is NO_VALUE:  # a generated name
                roles[logical]["name"] = None
        elif res["Type"] == "AWS::Events::EventBusPolicy":
            bus_policy = t.eval(props["Statement"])
        elif res["Type"] == "AWS::KMS::Key":
            kms_keys[logical] = t.eval(props["KeyPolicy"])
        if res["Type"] == "AWS::Config::ConfigRule":
            rules.append({
                "logical_id": logical,
                "name": t.eval(props["ConfigRuleName"]),
                "source": props["Source"]["SourceIdentifier"],
                "max_access_key_age": int(t.eval(props["InputParameters"].get("maxAccessKeyAge", "0"))),
                "max_credential_usage_age": int(t.eval(props["InputParameters"].get("maxCredentialUsageAge", "0"))),
            })
        elif res["Type"] == "AWS::Events::Rule" and "configRuleName" in props["EventPattern"]["detail"]:
            pattern_rules = t.eval(props["EventPattern"]["detail"]["configRuleName"])
        elif res["Type"] == "AWS::Serverless::Function":
            env = {k: t.eval(v) for k, v in props["Environment"]["Variables"].items()}
        elif res["Type"] == "AWS::Scheduler::Schedule" and logical == "SweepSchedule":
            schedule_input = t.eval(props["Target"]["Input"])
    print(json.dumps({
        "config_rules": rules,
        "function_env": env,
        "pattern_rules": pattern_rules,
        "rule_age": doc["Mappings"]["RuleAge"],
        "schedule_input": schedule_input,
        "role_policies": role_policies,
        "event_rules": event_rules,
        "roles": roles,
        "bus_policy": bus_policy,
        "kms_keys": kms_keys,
        "existing": [logical for logical in t.resources if t.exists(logical)],
        "resources": t.resources,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
