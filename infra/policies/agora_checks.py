"""What Agora's checks share: the template a resource came from, SAM's Globals applied the
way SAM applies them, what a reference points at, and a base check that says why a
resource fails.

A checkov resource check is handed one resource. Agora's rules need its neighbours:
which functions a function URL or an HTTP API reaches (CKV_AGORA_2), whether a key
reference names an AWS::KMS::Key of the same template (customer-managed keys).
checkov notes on every parsed block the file it came from (`__file__`, as checkov was given
it; a resource without Properties has none, and then the file checkov's runner is
checking is taken from its frame); this module parses that file again with checkov's own
parser, once per file.

SAM Globals. checkov 3 merges Globals into AWS::Serverless::* resources before any check
runs (cfn_utils.enrich_resources_with_globals), but not as SAM does: it concatenates
lists inside intrinsic functions (a function's own `KmsKeyArn: !GetAtt OtherKey.Arn` over
a Globals `!GetAtt Key.Arn` becomes Fn::GetAtt [Key, Arn, OtherKey, Arn]), deep-merges
two different intrinsics into one map, and gives up on the whole template, merging
nothing, when one AWS::Serverless::HttpApi/Api/... has no Properties. So for
AWS::Serverless::* resources the checks read the resource from this module instead, with
Globals applied by SAM's own rule (samtranslator's globals plugin): maps merge key by key,
lists concatenate (Globals' items first), and anything else -- a string, a number, an
intrinsic function -- is the resource's own when it has one. infra/policies/tests holds
a template for each of these cases.

This file holds no check: checkov imports every module of infra/policies, and this one
only defines what the checks import.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.cloudformation.parser import parse
from checkov.common.models.enums import CheckResult

LOG = logging.getLogger("agora.policies")

FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})

# Globals section of each SAM resource type.
_GLOBALS_SECTION = {
    "AWS::Serverless::Function": "Function",
    "AWS::Serverless::Api": "Api",
    "AWS::Serverless::HttpApi": "HttpApi",
    "AWS::Serverless::SimpleTable": "SimpleTable",
    "AWS::Serverless::StateMachine": "StateMachine",
    "AWS::Serverless::LayerVersion": "LayerVersion",
}

# Keys checkov's parser adds to mappings (where in the file they were).
_PARSER_KEYS = frozenset({"__file__", "__startline__", "__endline__"})

# ${Name} or ${Name.Attribute} inside an Fn::Sub string.
_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}")


class AgoraCheck(BaseResourceCheck):
    """A resource check that sees the resource's template and names why it fails.

    checkov's CloudFormation report drops a check's details, so each reason is logged as
    a warning (stderr) beside the FAILED record."""

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        # checkov sets entity_path to "<file>:<type>:<logical id>" before each scan.
        logical_id = self.entity_path.rsplit(":", 1)[-1]
        path = _source_file(conf) or _file_being_checked()
        template = _load(os.path.abspath(path)) if path else None
        properties = conf.get("Properties")
        if template is None:
            problems = ["the template this resource came from could not be read"]
        else:
            if self.entity_type in _GLOBALS_SECTION:
                properties = template.properties(logical_id)
            properties = properties if isinstance(properties, dict) else {}
            problems = list(self.problems(logical_id, properties, template))
        for problem in problems:
            LOG.warning("%s %s %s: %s", self.id, path or "?", logical_id, problem)
        self.details.extend(problems)
        return CheckResult.FAILED if problems else CheckResult.PASSED

    def problems(self, logical_id: str, properties: dict[str, Any], template: Template) -> Iterable[str]:
        """Why the resource fails the rule; nothing when it passes."""
        raise NotImplementedError


class Template:
    """The resources of one template by logical id, SAM's Globals applied."""

    def __init__(self, resources: dict[str, Any]) -> None:
        self.resources = resources

    def resource_type(self, logical_id: str) -> str | None:
        resource = self.resources.get(logical_id)
        return resource.get("Type") if isinstance(resource, dict) else None

    def properties(self, logical_id: str) -> dict[str, Any]:
        resource = self.resources.get(logical_id)
        properties = resource.get("Properties") if isinstance(resource, dict) else None
        return properties if isinstance(properties, dict) else {}

    def of_type(self, *types: str) -> Iterator[str]:
        for logical_id, resource in self.resources.items():
            if isinstance(resource, dict) and resource.get("Type") in types:
                yield logical_id


@functools.lru_cache(maxsize=None)
def _load(path: str) -> Template | None:
    template, _lines = parse(path)
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        return None
    sections = template.get("Globals")
    sections = sections if isinstance(sections, dict) else {}
    resources = {}
    for logical_id, resource in template["Resources"].items():
        section = sections.get(_GLOBALS_SECTION.get(resource.get("Type"), "")) if isinstance(resource, dict) else None
        if isinstance(section, dict):
            properties = resource.get("Properties")
            resource = {**resource, "Properties": _merge(section, properties if isinstance(properties, dict) else {})}
        resources[logical_id] = resource
    return Template(resources)


def _merge(global_value: Any, own_value: Any) -> Any:
    """SAM's Globals rule: maps merge, lists concatenate, anything else is the resource's."""
    if _is_map(global_value) and _is_map(own_value):
        merged = {key: value for key, value in global_value.items() if key not in _PARSER_KEYS}
        for key, value in own_value.items():
            merged[key] = _merge(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(own_value, list):
        return list(global_value) + list(own_value)
    return own_value


def _is_map(value: Any) -> bool:
    """A mapping that is not an intrinsic function (SAM merges those like strings)."""
    if not isinstance(value, dict):
        return False
    keys = set(value) - _PARSER_KEYS
    if len(keys) == 1:
        (key,) = keys
        return not (key in ("Ref", "Condition") or key.startswith("Fn::"))
    return True


def _source_file(value: Any) -> str | None:
    if isinstance(value, dict):
        if isinstance(value.get("__file__"), str):
            return value["__file__"]
        children: Iterable[Any] = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = _source_file(child)
        if found:
            return found
    return None


def _file_being_checked() -> str | None:
    """The file checkov's CloudFormation runner is checking (Runner.check_definitions holds
    it in file_abs_path while it hands the file's resources to the checks)."""
    frame = inspect.currentframe()
    while frame is not None:
        path = frame.f_locals.get("file_abs_path") if frame.f_code.co_name == "check_definitions" else None
        if isinstance(path, str):
            return path
        frame = frame.f_back
    return None


def branches(value: Any) -> Iterator[Any]:
    """Each value `value` can take: both sides of every Fn::If, recursively."""
    if isinstance(value, dict) and set(value) - _PARSER_KEYS == {"Fn::If"}:
        condition = value["Fn::If"]
        if isinstance(condition, list) and len(condition) == 3:
            yield from branches(condition[1])
            yield from branches(condition[2])
            return
    yield value


def is_no_value(value: Any) -> bool:
    return isinstance(value, dict) and value.get("Ref") == "AWS::NoValue"


def is_true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def referenced(value: Any) -> tuple[str, str | None] | None:
    """(logical id, attribute) when `value` is exactly one reference: Ref, Fn::GetAtt,
    or an Fn::Sub string that is nothing but "${Name}" or "${Name.Attribute}"."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("Ref"), str):
        return value["Ref"], None
    get_att = value.get("Fn::GetAtt")
    if isinstance(get_att, str) and "." in get_att:
        logical_id, attribute = get_att.split(".", 1)
        return logical_id, attribute
    if isinstance(get_att, list) and len(get_att) == 2 and all(isinstance(part, str) for part in get_att):
        return get_att[0], get_att[1]
    sub = value.get("Fn::Sub")
    if isinstance(sub, str):
        match = _SUB_VARIABLE.fullmatch(sub)
        if match:
            return match.group(1), match.group(2)
    return None


def mentioned(value: Any) -> set[str]:
    """Every logical id `value` refers to anywhere (Ref, Fn::GetAtt, ${...} in Fn::Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            found.add(value["Ref"])
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, str):
            found.add(get_att.split(".", 1)[0])
        elif isinstance(get_att, list) and get_att and isinstance(get_att[0], str):
            found.add(get_att[0])
        sub = value.get("Fn::Sub")
        text = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(text, str):
            found.update(match.group(1) for match in _SUB_VARIABLE.finditer(text))
        for child in value.values():
            found |= mentioned(child)
    elif isinstance(value, list):
        for child in value:
            found |= mentioned(child)
    return found


def environment_variable_set(function_properties: dict[str, Any], name: str) -> bool:
    """Whether the function's environment sets `name` to something other than empty, in
    every branch of every Fn::If on the way (an Fn::If that can drop it does not count)."""
    for environment in branches(function_properties.get("Environment")):
        if not isinstance(environment, dict):
            return False
        for variables in branches(environment.get("Variables")):
            if not isinstance(variables, dict) or name not in variables:
                return False
            for value in branches(variables[name]):
                if value is None or value == "" or is_no_value(value):
                    return False
    return True
