"""Every command the README tells a user to type is one the program takes: `snapstart-cleaner ...` lines
parse with the CLI's own parser, and `aws ...` commands name operations and parameters that botocore's
service models (the AWS CLI's own) define, shorthand keys included. So the text cannot drift from the
code or from AWS again (the StackSet commands once passed keys AWS does not take, in an order AWS
refuses)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name
from botocore.model import ListShape, OperationModel, Shape, StructureShape

from cleaner.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
# The AWS CLI's own options, valid with every operation.
AWS_GLOBAL_OPTIONS = {"--region", "--output", "--query", "--profile", "--no-cli-pager", "--debug"}
# `aws cloudformation deploy` is a command of the CLI, not an API operation: its options by hand
# (`aws cloudformation deploy help`).
CLOUDFORMATION_DEPLOY_OPTIONS = {
    "--stack-name",
    "--template-file",
    "--capabilities",
    "--parameter-overrides",
    "--tags",
    "--role-arn",
    "--no-execute-changeset",
    "--s3-bucket",
}
# What a shell line may go on with after the command itself.
_SHELL_END = {">", ">>", "|", "&&", ";", "2>", "#"}


def _fenced_lines() -> Iterator[str]:
    """The lines of every ```sh block, continuation backslashes joined."""
    text = README.read_text(encoding="utf-8")
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        yield from (line.strip() for line in block.replace("\\\n", " ").splitlines() if line.strip())


def _inline_spans() -> Iterator[str]:
    text = README.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    yield from (" ".join(span.split()) for span in re.findall(r"`([^`]+)`", text))


def _commands(program: str, lines: Iterator[str]) -> list[list[str]]:
    """Each `program ...` command of `lines` (also after `&&`), cut where the shell takes over."""
    found = []
    for line in lines:
        if line.startswith("#"):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        for start, word in enumerate(words):
            if word == program and (start == 0 or words[start - 1] == "&&"):
                command = [program]
                for next_word in words[start + 1 :]:
                    if next_word in _SHELL_END:
                        break
                    command.append(next_word)
                found.append(command)
    return found


def our_commands() -> list[list[str]]:
    return _commands("snapstart-cleaner", _fenced_lines())


def aws_commands() -> list[list[str]]:
    spans = (span for span in _inline_spans() if span.startswith("aws "))
    return _commands("aws", _fenced_lines()) + _commands("aws", spans)


def test_the_readme_has_the_commands_this_test_checks() -> None:
    services = {tuple(command[1:3]) for command in aws_commands()}
    assert ("cloudformation", "create-stack-instances") in services
    assert ("cloudformation", "activate-organizations-access") in services
    assert ("organizations", "register-delegated-administrator") in services
    assert any(command[1] == "iam-template" for command in our_commands())


@pytest.mark.parametrize("command", our_commands(), ids=lambda command: " ".join(command[:3]))
def test_every_snapstart_cleaner_command_in_the_readme_parses(command: list[str]) -> None:
    argv = [word.replace("<plan-id>", "p1") for word in command[1:]]
    build_parser().parse_args(argv)  # argparse exits (2) on an unknown flag or a missing argument


def _operation(service: str, command: str) -> OperationModel:
    model = botocore.session.get_session().get_service_model(service)
    names = {xform_name(name, "-"): name for name in model.operation_names}
    assert command in names, f"aws {service} {command}: no such operation"
    return model.operation_model(names[command])


def _member(shape: StructureShape, option: str) -> Shape:
    members = {f"--{xform_name(name, '-')}": shape.members[name] for name in shape.members}
    assert option in members, f"{option}: not a parameter ({', '.join(sorted(members))})"
    return members[option]


def _check_shorthand(shape: Shape, value: str, where: str) -> None:
    """`Key=Value,Key2=Value2` of a structure (or each structure of a list): every key a member."""
    target = shape.member if isinstance(shape, ListShape) else shape
    if not isinstance(target, StructureShape) or "=" not in value:
        return
    for key in re.findall(r"(?:^|,)([A-Za-z]+)=", value):
        assert key in target.members, f"{where}: {key} is not one of {sorted(target.members)}"
        enum = getattr(target.members[key], "enum", None)
        if enum:
            given = re.search(rf"(?:^|,){key}=([A-Z_]+)", value)
            assert given is not None and given[1] in enum, f"{where}: {key} must be one of {enum}"


@pytest.mark.parametrize("command", aws_commands(), ids=lambda command: " ".join(command[:3]))
def test_every_aws_command_in_the_readme_is_one_the_aws_cli_takes(command: list[str]) -> None:
    service, operation, args = command[1], command[2], command[3:]
    options = [(i, word) for i, word in enumerate(args) if word.startswith("--")]
    if (service, operation) == ("cloudformation", "deploy"):
        unknown = {word for _, word in options} - CLOUDFORMATION_DEPLOY_OPTIONS - AWS_GLOBAL_OPTIONS
        assert not unknown, f"aws cloudformation deploy: {unknown}"
        return
    shape = _operation(service, operation).input_shape
    for index, option in options:
        if option in AWS_GLOBAL_OPTIONS:
            continue
        assert shape is not None, f"aws {service} {operation} takes no parameters"
        member = _member(shape, option)
        values = [v for v in args[index + 1 :] if not v.startswith("--")][:1]
        if values:
            _check_shorthand(member, values[0], f"aws {service} {operation} {option}")
    required = set(shape.required_members) if shape is not None else set()
    given = {option for _, option in options}
    missing = {name for name in required if f"--{xform_name(name, '-')}" not in given}
    assert not missing, f"aws {service} {operation}: missing {missing}"
