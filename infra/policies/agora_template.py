"""The template a resource came from, and what its references point at.

A checkov resource check is handed one resource. Two of Agora's rules need its
neighbours: whether a key reference names an AWS::KMS::Key of the same template
(CKV_AGORA_1), and which functions a function URL or an HTTP API reaches (CKV_AGORA_2).
checkov notes on every parsed block the file it came from (`__file__`, relative to
checkov's working directory); this module parses that file again with checkov's own
parser, once per file, and applies SAM's Globals to it as checkov itself does
(`enrich_resources_with_globals`), so a function looked up here looks as it does to the
checks.

This file holds no check: checkov imports every module of infra/policies, and this one
only defines what the checks import.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from typing import Any

from checkov.cloudformation.cfn_utils import enrich_resources_with_globals
from checkov.cloudformation.parser import parse

FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})

# ${Name} or ${Name.Attribute} inside an Fn::Sub string.
_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}")


class Template:
    """The resources of one template by logical id."""

    def __init__(self, resources: dict[str, Any]) -> None:
        self.resources = resources

    def resource_type(self, logical_id: str) -> str | None:
        resource = self.resources.get(logical_id)
        return resource.get("Type") if isinstance(resource, dict) else None

    def properties(self, logical_id: str) -> dict[str, Any]:
        resource = self.resources.get(logical_id)
        properties = resource.get("Properties") if isinstance(resource, dict) else None
        return properties if isinstance(properties, dict) else {}

    def of_type(self, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if isinstance(resource, dict) and resource.get("Type") in types:
                yield logical_id, resource


def template_of(conf: dict[str, Any]) -> Template | None:
    """The template `conf` (a resource as checkov hands it to a check) was read from."""
    path = _source_file(conf)
    return _load(os.path.abspath(path)) if path else None


@functools.lru_cache(maxsize=None)
def _load(path: str) -> Template | None:
    template, _lines = parse(path)
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        return None
    return Template(enrich_resources_with_globals(template)["Resources"])


def _source_file(value: Any) -> str | None:
    if isinstance(value, dict):
        if isinstance(value.get("__file__"), str):
            return value["__file__"]
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = _source_file(child)
        if found:
            return found
    return None


def branches(value: Any) -> Iterator[Any]:
    """Each value `value` can take: both sides of every Fn::If, recursively."""
    if isinstance(value, dict) and set(value) - {"__file__", "__startline__", "__endline__"} == {"Fn::If"}:
        condition = value["Fn::If"]
        if isinstance(condition, list) and len(condition) == 3:
            yield from branches(condition[1])
            yield from branches(condition[2])
            return
    yield value


def is_no_value(value: Any) -> bool:
    return isinstance(value, dict) and value.get("Ref") == "AWS::NoValue"


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
    if isinstance(get_att, list) and len(get_att) >= 2 and all(isinstance(part, str) for part in get_att):
        return get_att[0], ".".join(get_att[1:])
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
        template = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(template, str):
            found.update(match.group(1) for match in _SUB_VARIABLE.finditer(template))
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
