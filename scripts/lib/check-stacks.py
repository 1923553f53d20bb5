#!/usr/bin/env python3
"""The root template, its nested stacks (infra/*.yaml) and samconfig.toml agree.

Run with the tools venv's Python (it needs cfn-lint's YAML loader and aws-sam-translator):

  - every parameter the root passes to a nested stack exists there, and every nested
    parameter without a default is passed;
  - every `!GetAtt <Stack>.Outputs.<Name>` names an output of that stack, and an output
    that exists only under a condition of the nested stack (`WithDatabase`, ...) is read
    only where the root knows it exists: under the root condition whose !If feeds the
    nested stack parameter that condition tests;
  - every environment of samconfig.toml passes only parameters the root template has,
    with values its AllowedValues, AllowedPattern and bounds accept;
  - every CloudWatch dashboard body is valid JSON for every combination of its conditions;
  - Rules use only the functions CloudFormation allows in rules;
  - each stack stays under CloudFormation's 500 resources (the root counted after the SAM
    transform), and the counts are printed.

Exit status 1 with one line per problem.
"""

import itertools
import json
import re
import sys
import tomllib
from pathlib import Path

from cfnlint.decode import cfn_yaml
from sam_expand import expand

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 500
problems: list[str] = []


def load(path: Path) -> dict:
    return json.loads(json.dumps(cfn_yaml.load(str(path))))


def walk(node, conditions=()):
    """Yields (value, enclosing !If conditions, taken branch is the true one)."""
    yield node, conditions
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, yes, no = node["Fn::If"]
            yield from walk(yes, conditions + (name,))
            yield from walk(no, conditions + ("!" + name,))
            return
        for value in node.values():
            yield from walk(value, conditions)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value, conditions)


def stack_getatts(node):
    """(stack, output) pairs of GetAtt and Sub references to nested stack outputs."""
    if isinstance(node, dict) and "Fn::GetAtt" in node:
        target = node["Fn::GetAtt"]
        if isinstance(target, str):
            target = target.split(".", 1)
        if len(target) == 2 and str(target[1]).startswith("Outputs."):
            yield target[0], target[1][len("Outputs."):]
    if isinstance(node, dict) and "Fn::Sub" in node:
        text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
        for stack, output in re.findall(r"\$\{(\w+)\.Outputs\.(\w+)\}", text):
            yield stack, output


def check_nested(root: dict) -> dict[str, dict]:
    stacks = {}
    for name, resource in root["Resources"].items():
        if resource["Type"] != "AWS::CloudFormation::Stack":
            continue
        url = resource["Properties"]["TemplateURL"]
        path = ROOT / url
        if not path.is_file():
            problems.append(f"{name}: TemplateURL {url} is not a file of the repository")
            continue
        child = load(path)
        stacks[name] = {"template": child, "resource": resource, "path": url}
        declared = child.get("Parameters", {})
        passed = resource["Properties"].get("Parameters", {})
        for key in passed:
            if key not in declared:
                problems.append(f"{name} passes {key}, which {url} does not declare")
        for key, spec in declared.items():
            if "Default" not in spec and key not in passed:
                problems.append(f"{name} does not pass {key}, which {url} requires")

    # Each nested condition of the form Equals [Ref P, "true"] -> the root condition that
    # sets P to "true" (P: !If [RootCondition, "true", "false"]).
    def root_condition_for(stack: str, child_condition: str):
        child = stacks[stack]["template"]
        test = child.get("Conditions", {}).get(child_condition)
        if not (isinstance(test, dict) and "Fn::Equals" in test):
            return None
        left, right = test["Fn::Equals"]
        if not (isinstance(left, dict) and "Ref" in left and right == "true"):
            return None
        value = stacks[stack]["resource"]["Properties"]["Parameters"].get(left["Ref"])
        if isinstance(value, dict) and "Fn::If" in value and value["Fn::If"][1:] == ["true", "false"]:
            return value["Fn::If"][0]
        return None

    sections = {"Resources": root["Resources"], "Outputs": root.get("Outputs", {})}
    sections["Globals"] = {"Function": root.get("Globals", {}).get("Function", {})}
    for section, items in sections.items():
        for item_name, item in items.items():
            own = (item.get("Condition"),) if isinstance(item, dict) and item.get("Condition") else ()
            for node, conditions in walk(item, own):
                for stack, output in stack_getatts(node):
                    where = f"{section}/{item_name}"
                    if stack not in stacks:
                        problems.append(f"{where} reads {stack}.Outputs.{output}, but {stack} is no nested stack")
                        continue
                    outputs = stacks[stack]["template"].get("Outputs", {})
                    if output not in outputs:
                        problems.append(f"{where} reads {stack}.Outputs.{output}, which {stacks[stack]['path']} does not output")
                        continue
                    needed = outputs[output].get("Condition")
                    if needed:
                        root_condition = root_condition_for(stack, needed)
                        if root_condition is None:
                            problems.append(f"{stack}.Outputs.{output} exists only under {needed}, which no root condition mirrors")
                        elif root_condition not in conditions:
                            problems.append(
                                f"{where} reads {stack}.Outputs.{output} outside {root_condition}: "
                                f"the output exists only when {needed}"
                            )
    return stacks


def check_samconfig(root: dict) -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    parameters = root["Parameters"]
    for env, sections in config.items():
        if not isinstance(sections, dict) or "deploy" not in sections:
            continue
        overrides = sections["deploy"]["parameters"].get("parameter_overrides", "")
        pairs = re.findall(r'(\w+)=(?:"([^"]*)"|(\S+))', overrides)
        if not pairs:
            problems.append(f"samconfig.toml [{env}] passes no parameters")
        for key, quoted, bare in pairs:
            value = quoted if quoted or not bare else bare
            spec = parameters.get(key)
            where = f"samconfig.toml [{env}] {key}={value!r}"
            if spec is None:
                problems.append(f"{where}: template.yaml has no such parameter")
                continue
            allowed = spec.get("AllowedValues")
            if allowed is not None and value not in [str(a) for a in allowed]:
                problems.append(f"{where}: not one of {allowed}")
            pattern = spec.get("AllowedPattern")
            if pattern and not re.fullmatch(pattern, value):
                problems.append(f"{where}: does not match {pattern}")
            if spec.get("Type") == "Number":
                number = float(value)
                if "MinValue" in spec and number < float(spec["MinValue"]):
                    problems.append(f"{where}: below {spec['MinValue']}")
                if "MaxValue" in spec and number > float(spec["MaxValue"]):
                    problems.append(f"{where}: above {spec['MaxValue']}")


def check_dashboards(name: str, template: dict) -> None:
    for logical_id, resource in template.get("Resources", {}).items():
        if resource["Type"] != "AWS::CloudWatch::Dashboard":
            continue
        body = resource["Properties"]["DashboardBody"]
        names = sorted({c.lstrip("!") for _, conds in walk(body) for c in conds})

        def render(node, truth):
            if isinstance(node, str):
                return node
            (key, value), = node.items()
            if key == "Fn::Join":
                return value[0].join(render(part, truth) for part in value[1])
            if key == "Fn::If":
                return render(value[1] if truth[value[0]] else value[2], truth)
            if key == "Fn::Sub":
                return re.sub(r"\$\{[^}!]+\}", "x", value)
            raise ValueError(f"cannot render {key}")

        for values in itertools.product([True, False], repeat=len(names)):
            truth = dict(zip(names, values))
            try:
                json.loads(render(body, truth))
            except ValueError as error:
                problems.append(f"{name} {logical_id}: DashboardBody is not JSON when {truth}: {error}")
                break


# The only functions CloudFormation accepts inside Rules (cfn-lint does not check this).
RULE_FUNCTIONS = {
    "Fn::And", "Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn", "Fn::Equals",
    "Fn::Not", "Fn::Or", "Fn::RefAll", "Fn::ValueOf", "Fn::ValueOfAll", "Ref",
}


def check_rules(name: str, template: dict) -> None:
    for rule_name, rule in template.get("Rules", {}).items():
        for node, _ in walk(rule):
            if isinstance(node, dict):
                for key in node:
                    if (key.startswith("Fn::") or key == "Condition") and key not in RULE_FUNCTIONS:
                        problems.append(f"{name} rule {rule_name} uses {key}, which rules do not allow")


def main() -> int:
    root = load(ROOT / "template.yaml")
    stacks = check_nested(root)
    check_samconfig(root)
    check_rules("template.yaml", root)
    counts = [("template.yaml (after the SAM transform)", len(expand(ROOT / "template.yaml")["Resources"]))]
    for name, stack in stacks.items():
        check_dashboards(stack["path"], stack["template"])
        check_rules(stack["path"], stack["template"])
        counts.append((stack["path"], len(stack["template"]["Resources"])))
    for label, count in counts:
        print(f"    {count:4d} resources  {label}")
        if count >= LIMIT:
            problems.append(f"{label}: {count} resources, CloudFormation allows {LIMIT - 1}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
