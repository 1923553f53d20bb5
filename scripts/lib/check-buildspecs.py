#!/usr/bin/env python3
"""The delivery pipeline (infra/pipeline.yaml) and its buildspecs agree with the repository.

Run with the tools venv's Python (cfn-lint's YAML loader, its IAM and resource-schema data,
and aws-sam-translator): `.agora/tools/venv/bin/python scripts/lib/check-buildspecs.py`.

  - each CodeBuild project of the pipeline names a buildspec file that exists, and each
    buildspecs/*.yml belongs to a project;
  - in each buildspec command, every repository path named (scripts/..., buildspecs/...,
    infra/..., deploy/..., template.yaml, samconfig.toml) exists, and in the build output
    when that is what the project receives instead of the repository; every program run is
    a shell builtin, one the project's image provides (IMAGE_PROGRAMS), or one an earlier
    command of the same buildspec installs (INSTALLED_BY): explicit lists, so a new tool
    means saying where it comes from;
  - the environments the deploy actions name are samconfig.toml environments whose stack is
    agora-<environment>, the names the pipeline's roles are scoped to;
  - the CloudFormation execution role grants every permission CloudFormation's resource
    handlers list for the resource types of template.yaml (after the SAM transform) and its
    nested stacks, but those NOT_GRANTED says why it does not need, and nothing else but
    EXTRA_GRANTED; and it may attach every AWS managed policy the stacks attach;
  - pipeline.yaml stays under CloudFormation's 500 resources (its count is printed).

Before that, a self-check runs the same checks on a bad pipeline and bad buildspecs in a
temporary folder (a missing script and buildspec, an unknown program, one used before it is
installed, a file the build output lacks, an unused buildspec), and the execution role check
on the real role with a needed permission taken away and an unneeded one added; it fails
unless each is reported. Exit status 1 with one line per problem.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import sys
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import cfnlint
import yaml
from cfnlint.decode import cfn_yaml
from sam_expand import expand

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = "infra/pipeline.yaml"
LIMIT = 500

# What each build image has on PATH before a buildspec installs anything (only what the
# buildspecs use is listed; add a program here when a buildspec starts using it and the
# image documents it).
IMAGE_PROGRAMS = {
    # Debian 12 with rustup, cargo and rustc (CARGO_HOME /usr/local/cargo), on the official
    # buildpack-deps:bookworm image: apt, curl, git, gcc and binutils (readelf, objcopy).
    "public.ecr.aws/docker/library/rust:1-bookworm": {
        "apt-get", "bash", "cargo", "cat", "cp", "curl", "git", "grep", "ls", "mkdir", "rm",
        "rustc", "rustup", "sed", "sh", "tee",
    },
    # CodeBuild's Amazon Linux 2023 standard image: the AWS CLI and the runtimes the
    # buildspec selects under runtime-versions (python3 and pip3 with `python: 3.12`).
    "aws/codebuild/amazonlinux-x86_64-standard:5.0": {
        "aws", "bash", "cat", "grep", "ls", "mkdir", "python3", "rm", "sed", "sh",
    },
}

# Programs a buildspec installs, and the command that must come earlier in the same
# buildspec for each (a regular expression over the earlier commands).
APT = r"apt-get install\b[^\n;&|]*\b{}(?=\s|$)"
SETUP = r"\bbash scripts/setup\b"
INSTALLED_BY = {
    "python3": APT.format("python3"),
    "gpg": APT.format("gnupg"),
    "aws": APT.format("awscli"),
    "node": APT.format("nodejs"),
    "npm": APT.format("nodejs"),
    # scripts/setup installs buildah when it is missing (Debian's package).
    "buildah": APT.format("buildah") + "|" + SETUP,
    # The tools venv (.agora/tools/venv, scripts/requirements-tools.txt), on PATH once the
    # buildspec puts it there.
    "sam": SETUP,
    "cargo-lambda": SETUP,
    "cfn-lint": SETUP,
}

# Programs run by path from the tools venv, the venv's requirement each comes from, and the
# commands that create the venv (scripts/setup, or a buildspec's own python3 -m venv).
VENV = ".agora/tools/venv/bin/"
VENV_CREATED_BY = SETUP + r"|\bpython3 -m venv \.agora/tools/venv\b"
VENV_TOOLS = {"python": None, "python3": None, "pip": None, "sam": "aws-sam-cli", "cfn-lint": "cfn-lint"}

SHELL_BUILTINS = {
    ".", "[", "cd", "command", "echo", "exit", "export", "false", "printf", "read", "set",
    "shift", "source", "test", "true", "unset",
}
SHELL_KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"}

# A repository path in a command: a file under these folders, or one of these files at the
# root (not part of a longer path such as .aws-sam/build/template.yaml).
REPO_PATH = re.compile(
    r"(?<![\w./$-])(?:(?:scripts|buildspecs|infra|deploy)/[\w./-]*[\w-]|template\.yaml|samconfig\.toml)(?![\w/-])"
)

# Permissions that CloudFormation's handlers list for the Agora stacks' resource types and
# that the execution role does not get (fnmatch patterns over service:action, matched
# without case), each with why. Names IAM does not know (the handlers list some API names,
# e.g. s3:DeleteBucketCors, which IAM authorizes as s3:PutBucketCORS) are left out without
# being listed here: cfn-lint's IAM data decides.
NOT_GRANTED = {
    # Resources a web ACL can be associated with besides a load balancer; Agora associates
    # its service's web ACL with its ALB only.
    "amplify:*": "web ACL association with Amplify apps: Agora has none",
    "apprunner:*": "web ACL association with App Runner: Agora has none",
    "appsync:*": "web ACL association with AppSync: Agora has none",
    "cognito-idp:*": "web ACL association and listener authentication with Cognito: Agora has none",
    "bedrock-agentcore:*": "web ACL association with AgentCore gateways: Agora has none",
    "apigateway:setwebacl": "web ACL association with REST APIs: Agora's HTTP API has no web ACL",
    "ec2:*verifiedaccess*": "web ACL association with Verified Access: Agora has none",
    # Destinations Agora does not deliver to.
    "firehose:*": "log and stream delivery to Firehose: Agora logs to CloudWatch Logs",
    "kinesis:*": "DynamoDB's Kinesis streaming: the idempotency table streams nowhere",
    "s3tables:*": "S3 Tables and bucket metadata tables: Agora's buckets have none",
    "s3:*metadata*tableconfiguration": "S3 bucket metadata tables: Agora's buckets have none",
    "elasticfilesystem:*": "EFS mounts in functions: Agora's functions mount nothing",
    "s3files:*": "S3 file system mounts in functions: Agora's functions mount nothing",
    "vpc-lattice:*": "VPC Lattice service-network endpoints: Agora's endpoints are interface and gateway ones",
    "vpce:*": "cross-region VPC endpoints: Agora's endpoints are in their own region",
    # DynamoDB's import from S3 (which needs item writes) is not used; no table data is the
    # deployment's business.
    "dynamodb:*item": "item reads and writes, for imports: the deployment touches no table data",
    "dynamodb:query": "item reads, for imports: the deployment touches no table data",
    "dynamodb:scan": "item reads, for imports: the deployment touches no table data",
    "dynamodb:importtable": "imports from S3: Agora's table starts empty",
    "dynamodb:describeimport": "imports from S3: Agora's table starts empty",
    # Features of the used services that the Agora templates do not use, whose writes the
    # execution role therefore does not need.
    "cloudfront:*connectiongroup": "CloudFront connection groups (multi-tenant distributions): Agora's distribution is one",
    "cloudfront:updatedistributionwithstagingconfig": "CloudFront continuous deployment: Agora has no staging distribution",
    "ec2:acceptaddresstransfer": "Elastic IP transfers between accounts: Agora's addresses are its own",
    "ec2:*vpngateway": "VPN gateways: Agora's VPC attaches an internet gateway only",
    "ec2:createvpcencryptioncontrol": "VPC encryption controls: the templates set none",
    "dynamodb:*tablereplica": "global table replicas: the idempotency table lives in its stack's region",
    "dynamodb:enablekinesisstreamingdestination": "DynamoDB's Kinesis streaming: the idempotency table streams nowhere",
    "dynamodb:disablekinesisstreamingdestination": "DynamoDB's Kinesis streaming: the idempotency table streams nowhere",
    "dynamodb:updatekinesisstreamingdestination": "DynamoDB's Kinesis streaming: the idempotency table streams nowhere",
    "rds:createdbinstancereadreplica": "read replicas: the stack makes one writer (and RDS Proxy)",
    "rds:promotereadreplica": "read replicas: the stack makes one writer (and RDS Proxy)",
    "rds:restoredbinstance*": "restores: the stack makes an empty instance; restoring is an operator's procedure (docs/operations.md)",
    "rds:*dbinstanceautomatedbackupsreplication": "cross-region backup replication: the templates set none",
    "lambda:passcapacityprovider": "Lambda Managed Instances: Agora's functions run on Lambda's own capacity",
    "lambda:putfunctionscalingconfig": "Lambda Managed Instances: Agora's functions run on Lambda's own capacity",
    "lambda:putprovisionedconcurrencyconfig": "provisioned concurrency: Agora's scalable target is its ECS service",
    "lambda:deleteprovisionedconcurrencyconfig": "provisioned concurrency: Agora's scalable target is its ECS service",
    "lambda:getlayerversion": "layers: Agora's functions have none",
    "lambda:getcodesigningconfig": "code signing configurations: Agora's functions have none",
    "s3:*bucketwebsite": "static website hosting: Agora's buckets serve nothing by themselves",
    "s3:putreplicationconfiguration": "bucket replication: the templates set none",
    "secretsmanager:replicatesecrettoregions": "replica secrets: Agora's secrets live in their stack's region",
    "secretsmanager:removeregionsfromreplication": "replica secrets: Agora's secrets live in their stack's region",
    # Organization-wide features.
    "organizations:*": "organization trails: Agora's trail is the account's",
    # Account-wide settings: a stack must not change them for every other workload.
    "ecs:putaccountsetting*": "account-wide ECS settings: the templates set none",
    # Policies attached to users and groups: Agora's policies are for its roles only.
    "iam:*grouppolicy": "Agora attaches policies to roles only",
    "iam:*userpolicy": "Agora attaches policies to roles only",
    # Assuming a role would let the execution role act as any role that trusts the account;
    # the VPC origin's handler needs it only for cross-account origins.
    "sts:assumerole": "cross-account VPC origins: Agora's load balancer is in the stack's account",
}

# What the execution role gets beyond the handlers' lists, each with why.
EXTRA_GRANTED = {
    "lambda:invokefunction": "Custom::DatabaseMigrations: CloudFormation invokes the migrate function with the stack's role",
    "es:updatedomainconfig": "the IAM name of the OpenSearch handler's es:UpdateDomain",
}


def main(argv: list[str]) -> int:
    problems = self_check()
    if problems:
        for problem in problems:
            print(f"error: self-check: {problem}", file=sys.stderr)
        return 1
    print(
        "    self-check: a missing script or buildspec, an unknown or not yet installed program, a file the"
        " build output lacks and a wrong execution role are reported"
    )
    pipeline = load(ROOT / PIPELINE)
    problems = check_pipeline(ROOT, pipeline)
    problems += check_execution_role(pipeline)
    count = len(pipeline["Resources"])
    print(f"    {count:4d} resources  {PIPELINE} (standalone)")
    if count >= LIMIT:
        problems.append(f"{PIPELINE}: {count} resources, CloudFormation allows {LIMIT - 1}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print("    buildspecs: every path, program and buildspec exists; the execution role covers the stacks' resource types")
    return 1 if problems else 0


# ---- the pipeline and its buildspecs -------------------------------------------------------


@dataclass
class Project:
    name: str
    buildspec: str
    image: str
    # The paths the project receives when its input is another project's output, not the
    # repository (None: the repository).
    received: set[str] | None = None
    stages: set[str] = field(default_factory=set)


def check_pipeline(root: Path, pipeline: dict) -> list[str]:
    problems: list[str] = []
    projects = codebuild_projects(pipeline)
    used = set()
    for project in projects.values():
        path = root / project.buildspec
        used.add(project.buildspec)
        if not path.is_file():
            problems.append(f"{project.name}: buildspec {project.buildspec} is not a file of the repository")
    for spare in sorted((root / "buildspecs").glob("*.yml")):
        relative = spare.relative_to(root).as_posix()
        if relative not in used:
            problems.append(f"{relative}: no CodeBuild project of {PIPELINE} uses it")
    link_inputs(pipeline, projects, root)
    for project in projects.values():
        path = root / project.buildspec
        if path.is_file():
            problems += check_buildspec(root, project, yaml.safe_load(path.read_text()))
    problems += check_stages(root, projects)
    return problems


def codebuild_projects(pipeline: dict) -> dict[str, Project]:
    parameters = pipeline.get("Parameters", {})
    projects = {}
    for logical_id, resource in pipeline["Resources"].items():
        if resource["Type"] != "AWS::CodeBuild::Project":
            continue
        properties = resource["Properties"]
        image = properties["Environment"]["Image"]
        if isinstance(image, dict) and "Ref" in image:
            image = parameters[image["Ref"]].get("Default", "")
        projects[logical_id] = Project(logical_id, properties["Source"].get("BuildSpec", "buildspec.yml"), image)
    return projects


def link_inputs(pipeline: dict, projects: dict[str, Project], root: Path) -> None:
    """Marks projects whose primary input is another project's output artifact, and the
    environments (STAGE) their actions pass."""
    producers: dict[str, Project] = {}
    actions = [
        action
        for resource in pipeline["Resources"].values()
        if resource["Type"] == "AWS::CodePipeline::Pipeline"
        for stage in resource["Properties"]["Stages"]
        for action in stage["Actions"]
        if action["ActionTypeId"]["Provider"] == "CodeBuild"
    ]
    for action in actions:
        project = projects.get(reference(action["Configuration"]["ProjectName"]))
        for output in action.get("OutputArtifacts", []):
            if project:
                producers[output["Name"]] = project
    for action in actions:
        project = projects.get(reference(action["Configuration"]["ProjectName"]))
        if project is None:
            continue
        inputs = [each["Name"] for each in action.get("InputArtifacts", [])]
        primary = action["Configuration"].get("PrimarySource") or (inputs[0] if inputs else None)
        producer = producers.get(primary)
        if producer is not None:
            spec_path = root / producer.buildspec
            spec = yaml.safe_load(spec_path.read_text()) if spec_path.is_file() else {}
            project.received = set((spec.get("artifacts") or {}).get("files", []))
        variables = json.loads(action["Configuration"].get("EnvironmentVariables", "[]"))
        project.stages |= {each["value"] for each in variables if each["name"] == "STAGE"}


def reference(value) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else value


def check_buildspec(root: Path, project: Project, spec: dict) -> list[str]:
    where = project.buildspec
    problems = []
    provided = IMAGE_PROGRAMS.get(project.image)
    if provided is None:
        return [f"{where}: {project.name} runs on {project.image}, which IMAGE_PROGRAMS does not describe"]
    earlier: list[str] = []
    for command in commands(spec):
        for simple in simple_commands(command):
            program = simple[0]
            problem = program_problem(root, program, provided, "\n".join(earlier))
            if problem:
                problems.append(f"{where}: `{command_line(command)}` runs {program}: {problem}")
        earlier.append(command)
    paths = [(command, path) for command in commands(spec) for path in REPO_PATH.findall(command)]
    paths += [
        (f"artifacts: {each}", each)
        for each in (spec.get("artifacts") or {}).get("files", [])
        if REPO_PATH.fullmatch(each)  # the others are what the build makes
    ]
    for command, path in paths:
        if "*" in path:
            continue
        if not (root / path).exists():
            problems.append(f"{where}: `{command_line(command)}` names {path}, which is not in the repository")
        elif project.received is not None and not command.startswith("artifacts:") and path not in project.received:
            problems.append(
                f"{where}: `{command_line(command)}` names {path}, which the build output it receives does not hold (artifacts: files)"
            )
    return problems


def program_problem(root: Path, program: str, provided: set[str], earlier: str) -> str | None:
    if program in SHELL_BUILTINS or program in provided:
        return None
    if program.startswith(VENV):
        tool = program[len(VENV):]
        if not re.search(VENV_CREATED_BY, earlier):
            return "no earlier command creates the tools venv (bash scripts/setup, or python3 -m venv .agora/tools/venv)"
        if tool not in VENV_TOOLS:
            return f"VENV_TOOLS does not say which requirement installs {tool}"
        requirement = VENV_TOOLS[tool]
        pins = (root / "scripts/requirements-tools.txt").read_text()
        if requirement and not re.search(rf"^{re.escape(requirement)}==", pins, re.MULTILINE):
            return f"scripts/requirements-tools.txt pins no {requirement}"
        return None
    if "/" in program:
        if (root / program).is_file():
            return None
        return "not a file of the repository"
    installer = INSTALLED_BY.get(program)
    if installer is None:
        return "neither the image provides it (IMAGE_PROGRAMS) nor does the buildspec install it (INSTALLED_BY)"
    if not re.search(installer, earlier, re.MULTILINE):
        return f"no earlier command installs it (INSTALLED_BY: {installer})"
    return None


def check_stages(root: Path, projects: dict[str, Project]) -> list[str]:
    import tomllib

    config = tomllib.loads((root / "samconfig.toml").read_text())
    problems = []
    for project in projects.values():
        for stage in sorted(project.stages):
            stack = config.get(stage, {}).get("global", {}).get("parameters", {}).get("stack_name")
            if stack is None:
                problems.append(f"{project.name} deploys STAGE={stage}, which samconfig.toml has no stack_name for")
            elif stack != f"agora-{stage}":
                problems.append(
                    f"samconfig.toml [{stage}] stack_name is {stack}; the pipeline's roles are scoped to agora-{stage}"
                )
    return problems


def commands(spec: dict) -> list[str]:
    found = []
    for phase in (spec.get("phases") or {}).values():
        for key in ("commands", "finally"):
            found += [str(each) for each in (phase or {}).get(key) or []]
    return found


def simple_commands(command: str) -> list[list[str]]:
    """The simple commands of a shell command line (several lines for `- |` blocks),
    command substitutions included, each as its words without assignments and redirections."""
    command = command.replace("\\\n", " ")
    found: list[list[str]] = []
    for inner in substitutions(command):
        found += simple_commands(inner)
    flat = re.sub(r"\$\((?:[^()]|\([^()]*\))*\)", "SUBSTITUTION", command)
    for line in flat.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = ""  # `${VAR#prefix}` is no comment (YAML holds the comments)
        words: list[str] = []
        tokens = list(lexer)
        index = 0
        while index <= len(tokens):
            token = tokens[index] if index < len(tokens) else ";"
            if token and set(token) <= set(";&|()<>"):
                if set(token) & set("<>"):
                    index += 1  # a redirection (>, 2>&1, <): skip its target
                    if words and words[-1].isdigit():
                        words.pop()  # the descriptor of 2>/dev/null
                else:
                    if words:
                        found.append(words)
                    words = []
            elif not words and (token in SHELL_KEYWORDS or re.fullmatch(r"[A-Za-z_]\w*=.*", token)):
                pass  # a keyword before a command, or an assignment
            else:
                words.append(token)
            index += 1
    return found


def substitutions(command: str) -> list[str]:
    found = []
    start = command.find("$(")
    while start != -1:
        depth, index = 1, start + 2
        while index < len(command) and depth:
            depth += {"(": 1, ")": -1}.get(command[index], 0)
            index += 1
        found.append(command[start + 2 : index - 1])
        start = command.find("$(", index)
    return found


def command_line(command: str) -> str:
    first = command.strip().splitlines()[0] if command.strip() else ""
    return first if len(first) <= 90 else first[:87] + "..."


# ---- the CloudFormation execution role -----------------------------------------------------


def check_execution_role(pipeline: dict) -> list[str]:
    role_id, statements = execution_role_statements(pipeline)
    if role_id is None:
        return [f"{PIPELINE}: no role that cloudformation.amazonaws.com assumes"]
    granted = {action.lower() for statement in statements for action in statement_actions(statement)}
    needed, why = needed_permissions()
    problems = []
    for action in sorted(needed - granted):
        problems.append(
            f"{role_id} does not grant {action}, which CloudFormation needs for {', '.join(sorted(why[action]))} "
            "(grant it, or say in NOT_GRANTED why the stacks never need it)"
        )
    for action in sorted(granted - needed - set(EXTRA_GRANTED)):
        problems.append(f"{role_id} grants {action}, which no resource type of the Agora stacks needs (or add it to EXTRA_GRANTED with why)")
    allowed = attachable_policies(statements)
    for name in sorted(aws_managed_policies()):
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern in allowed):
            problems.append(f"the stacks attach the AWS managed policy {name}, which {role_id}'s iam:PolicyARN condition does not allow")
    return problems


def execution_role_statements(pipeline: dict) -> tuple[str | None, list[dict]]:
    resources = pipeline["Resources"]
    role_id = next(
        (
            logical_id
            for logical_id, resource in resources.items()
            if resource["Type"] == "AWS::IAM::Role"
            and "cloudformation.amazonaws.com" in json.dumps(resource["Properties"]["AssumeRolePolicyDocument"])
        ),
        None,
    )
    if role_id is None:
        return None, []
    documents = [policy["PolicyDocument"] for policy in resources[role_id]["Properties"].get("Policies", [])]
    for resource in resources.values():
        if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            if {"Ref": role_id} in resource["Properties"].get("Roles", []):
                documents.append(resource["Properties"]["PolicyDocument"])
    statements = [
        statement
        for document in documents
        for statement in document["Statement"]
        if statement.get("Effect", "Allow") == "Allow"
    ]
    return role_id, statements


def statement_actions(statement: dict) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def attachable_policies(statements: list[dict]) -> list[str]:
    """The iam:PolicyARN patterns of the statements that allow iam:AttachRolePolicy, as
    policy names (the part after :policy/), e.g. service-role/AWSLambdaBasicExecutionRole."""
    patterns = []
    for statement in statements:
        if "iam:attachrolepolicy" not in {action.lower() for action in statement_actions(statement)}:
            continue
        for operator in (statement.get("Condition") or {}).values():
            values = operator.get("iam:PolicyARN", [])
            for value in [values] if not isinstance(values, list) else values:
                text = value.get("Fn::Sub", "") if isinstance(value, dict) else value
                if ":iam::aws:policy/" in text:
                    patterns.append(text.split(":iam::aws:policy/", 1)[1])
    return patterns


@cache
def needed_permissions() -> tuple[set[str], dict[str, set[str]]]:
    """The IAM permissions CloudFormation's handlers (create, read, update, delete) list for
    the resource types of the Agora stacks, less NOT_GRANTED and names IAM does not know."""
    iam = iam_actions()
    schemas = resource_schemas()
    why: dict[str, set[str]] = {}
    for resource_type in sorted(stack_resource_types()):
        schema = schemas.get(resource_type)
        if schema is None:
            continue  # Custom:: resources: EXTRA_GRANTED says what they need
        for handler, spec in schema.get("handlers", {}).items():
            if handler == "list":
                continue
            for permission in spec.get("permissions", []):
                action = permission.lower()
                service, _, name = action.partition(":")
                if name not in iam.get(service, ()):
                    continue
                if any(fnmatch.fnmatchcase(action, pattern) for pattern in NOT_GRANTED):
                    continue
                why.setdefault(action, set()).add(resource_type)
    return set(why), why


@cache
def stack_resource_types() -> frozenset[str]:
    root = expanded_root()
    types = {resource["Type"] for resource in root["Resources"].values()}
    for resource in root["Resources"].values():
        if resource["Type"] == "AWS::CloudFormation::Stack":
            nested = load(ROOT / resource["Properties"]["TemplateURL"])
            types |= {each["Type"] for each in nested["Resources"].values()}
    return frozenset(types)


def aws_managed_policies() -> set[str]:
    text = json.dumps(expanded_root())
    for path in (ROOT / "infra").glob("*.yaml"):
        if path.name != Path(PIPELINE).name:
            text += path.read_text()
    return set(re.findall(r":iam::aws:policy/([\w+=,.@/-]+)", text))


@cache
def expanded_root() -> dict:
    return expand(ROOT / "template.yaml")


def iam_actions() -> dict[str, set[str]]:
    data = json.loads((Path(cfnlint.__file__).parent / "data/AdditionalSpecs/Policies.json").read_text())
    return {service: set(spec.get("Actions", {})) for service, spec in data.items()}


def resource_schemas() -> dict[str, dict]:
    schemas = {}
    for path in (Path(cfnlint.__file__).parent / "data/schemas/resources").glob("*.json"):
        schema = json.loads(path.read_text())
        if "typeName" in schema:
            schemas.setdefault(schema["typeName"], schema)
    return schemas


def load(path: Path) -> dict:
    return json.loads(json.dumps(cfn_yaml.load(str(path))))


# ---- the self-check ------------------------------------------------------------------------

BAD_PIPELINE = """
Parameters:
  BuildImage:
    Type: String
    Default: public.ecr.aws/docker/library/rust:1-bookworm
Resources:
  BuildProject:
    Type: AWS::CodeBuild::Project
    Properties:
      Source: {Type: CODEPIPELINE, BuildSpec: buildspecs/build.yml}
      Environment: {Image: !Ref BuildImage}
  DeployProject:
    Type: AWS::CodeBuild::Project
    Properties:
      Source: {Type: CODEPIPELINE, BuildSpec: buildspecs/deploy.yml}
      Environment: {Image: aws/codebuild/amazonlinux-x86_64-standard:5.0}
  MissingProject:
    Type: AWS::CodeBuild::Project
    Properties:
      Source: {Type: CODEPIPELINE, BuildSpec: buildspecs/missing.yml}
      Environment: {Image: !Ref BuildImage}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Stages:
        - Name: Build
          Actions:
            - Name: Build
              ActionTypeId: {Provider: CodeBuild}
              Configuration: {ProjectName: !Ref BuildProject}
              InputArtifacts: [{Name: Source}]
              OutputArtifacts: [{Name: BuildOutput}]
        - Name: Deploy
          Actions:
            - Name: Deploy
              ActionTypeId: {Provider: CodeBuild}
              Configuration:
                ProjectName: !Ref DeployProject
                EnvironmentVariables: '[{"name":"STAGE","value":"staging","type":"PLAINTEXT"}]'
              InputArtifacts: [{Name: BuildOutput}]
"""

BAD_BUILD = """
version: 0.2
phases:
  build:
    commands:
      - bash scripts/no-such-script --release
      - no-such-tool --version | tee build.log
      - echo "$(node --version)"
artifacts:
  files:
    - packaged.yaml
    - samconfig.toml
"""

BAD_DEPLOY = """
version: 0.2
phases:
  build:
    commands:
      - python3 buildspecs/deploy-helper.py samconfig.toml
"""


def self_check() -> list[str]:
    """Runs check_pipeline on a folder holding a bad pipeline and bad buildspecs; each
    expected report must come out, or the checks above have gone blind."""
    with tempfile.TemporaryDirectory(prefix="agora-buildspecs.") as folder:
        root = Path(folder)
        (root / "buildspecs").mkdir()
        (root / "infra").mkdir()
        (root / "scripts").mkdir()
        (root / "infra/pipeline.yaml").write_text(BAD_PIPELINE)
        (root / "buildspecs/build.yml").write_text(BAD_BUILD)
        (root / "buildspecs/deploy.yml").write_text(BAD_DEPLOY)
        (root / "buildspecs/deploy-helper.py").write_text("")
        (root / "buildspecs/orphan.yml").write_text("version: 0.2\n")
        (root / "samconfig.toml").write_text('[staging.global.parameters]\nstack_name = "agora-staging"\n')
        reports = check_pipeline(root, load(root / "infra/pipeline.yaml"))
    expected = {
        "a missing script": "`bash scripts/no-such-script --release` names scripts/no-such-script, which is not in the repository",
        "an unknown program": "runs no-such-tool: neither the image provides it",
        "a program used before it is installed": "runs node: no earlier command installs it",
        "a missing buildspec": "MissingProject: buildspec buildspecs/missing.yml is not a file of the repository",
        "a buildspec no project uses": "buildspecs/orphan.yml: no CodeBuild project",
        "a file the build output lacks": "names buildspecs/deploy-helper.py, which the build output it receives does not hold",
    }
    problems = [f"not reported: {what} ({text!r})" for what, text in expected.items() if not any(text in report for report in reports)]
    unexpected = [report for report in reports if not any(text in report for text in expected.values())]
    problems += [f"reported more than the bad files hold: {report}" for report in unexpected]
    return problems + execution_role_self_check()


def execution_role_self_check() -> list[str]:
    """The execution role check on the real pipeline with one needed action taken away and
    one unneeded action added: it must report both."""
    pipeline = load(ROOT / PIPELINE)
    _, statements = execution_role_statements(pipeline)
    needed, _ = needed_permissions()
    taken = next((action for statement in statements for action in statement_actions(statement) if action.lower() in needed), None)
    if taken is None:
        return ["the execution role grants none of the needed permissions: nothing to take away"]
    for statement in statements:
        actions = statement_actions(statement)
        if taken in actions:
            statement["Action"] = [action for action in actions if action != taken]
    statements[0]["Action"] = statement_actions(statements[0]) + ["iam:CreateAccessKey"]
    reports = check_execution_role(pipeline)
    expected = {f"does not grant {taken.lower()}", "grants iam:createaccesskey, which no resource type"}
    return [f"execution role check did not report {text!r}" for text in sorted(expected) if not any(text in report for report in reports)]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
