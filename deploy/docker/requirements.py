"""Print the requirements of the project's base dependencies plus some extras, one a line, from pyproject.toml.

The Dockerfiles install these (with ``constraints.txt``) before copying the source, so that the
dependency layer is rebuilt only when pyproject.toml or the constraints change:

    python requirements.py api --omit pgserver              # base + api, without the embedded PostgreSQL
    python requirements.py core-gpu --add-extras onnxruntime-gpu=cuda,cudnn
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

NAME = re.compile(r"^[A-Za-z0-9._-]+")


def canonical(name: str) -> str:
    """A distribution name as PyPI compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(pyproject: dict, extras: list[str], omit: set[str], add_extras: dict[str, str]) -> list[str]:
    """The base dependencies and those of ``extras``, without the ``omit`` names, each requirement
    named in ``add_extras`` given those extras (``onnxruntime-gpu==1`` -> ``onnxruntime-gpu[cuda]==1``)."""
    project = pyproject["project"]
    known = project.get("optional-dependencies", {})
    unknown = [extra for extra in extras if extra not in known]
    if unknown:
        raise SystemExit(f"pyproject.toml has no extra {', '.join(unknown)} (it has {', '.join(known)})")
    chosen = list(project.get("dependencies", []))
    for extra in extras:
        chosen += known[extra]
    wanted = {canonical(name): value for name, value in add_extras.items()}
    lines: list[str] = []
    for requirement in chosen:
        name = NAME.match(requirement).group(0)
        if canonical(name) in omit:
            continue
        if canonical(name) in wanted:
            requirement = f"{name}[{wanted[canonical(name)]}]{requirement[len(name):]}"
        if requirement not in lines:
            lines.append(requirement)
    return lines


def argument_parser() -> argparse.ArgumentParser:
    """The command line the Dockerfiles use."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("extras", nargs="*", help="extras of pyproject.toml, e.g. core or api")
    parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"))
    parser.add_argument("--omit", action="append", default=[], metavar="NAME", help="leave this package out")
    parser.add_argument("--add-extras", action="append", default=[], metavar="NAME=EXTRA,EXTRA",
                        help="install this package with these extras of its own")
    return parser


def requirements_for(args: argparse.Namespace) -> list[str]:
    """The requirements a parsed command line asks for."""
    add_extras = dict(item.split("=", 1) for item in args.add_extras)
    pyproject = tomllib.loads(args.pyproject.read_text())
    return requirements(pyproject, args.extras, {canonical(name) for name in args.omit}, add_extras)


def main(argv: list[str] | None = None) -> None:
    for line in requirements_for(argument_parser().parse_args(argv)):
        sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
