"""A SAM template expanded into plain CloudFormation, offline (aws-sam-translator), for the
checks that need the resources SAM makes: check-stacks.py counts them, check-buildspecs.py
reads their types. Run with the tools venv's Python."""

import os
from pathlib import Path


def expand(path: Path) -> dict:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse(path.read_text())
    # The transform needs a code location; the functions' real one comes from `sam build`.
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"

    # No AWS account to look managed policy ARNs up in.
    class NoManagedPolicies:
        def load(self):
            return {}

    return transform(template, {}, NoManagedPolicies())
