#!/usr/bin/env python3
"""Prints one samconfig.toml environment's parameter_overrides with NAME=VALUE pairs added
(or replacing the environment's own), in the form sam deploy --parameter-overrides takes.

sam deploy's --parameter-overrides replaces the environment's list instead of adding to
it, so the pipeline's deploy (buildspecs/deploy.yml) passes the whole list:

  python3 buildspecs/parameter-overrides.py staging \
    ServiceImage=123456789012.dkr.ecr.us-east-1.amazonaws.com/agora@sha256:... \
    ServiceCpuArchitecture=ARM64

Run from the folder holding samconfig.toml (the build output); Python 3.11 or newer.
"""

import re
import sys
import tomllib
from pathlib import Path

# How samconfig.toml writes a pair: Name="value" (or Name=value).
PAIR = re.compile(r'(\w+)=(?:"([^"]*)"|(\S+))')


def main(argv: list[str]) -> int:
    if len(argv) < 1:
        print(__doc__, file=sys.stderr)
        return 2
    environment, extra = argv[0], argv[1:]
    config = tomllib.loads(Path("samconfig.toml").read_text())
    deploy = config.get(environment, {}).get("deploy", {}).get("parameters")
    if deploy is None:
        print(f"samconfig.toml has no [{environment}.deploy.parameters]", file=sys.stderr)
        return 1
    parameters = {name: quoted or bare for name, quoted, bare in PAIR.findall(deploy.get("parameter_overrides", ""))}
    for pair in extra:
        name, separator, value = pair.partition("=")
        if not separator or not re.fullmatch(r"\w+", name) or '"' in value:
            print(f"not a NAME=VALUE pair: {pair!r}", file=sys.stderr)
            return 2
        parameters[name] = value
    print(" ".join(f'{name}="{value}"' for name, value in parameters.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
