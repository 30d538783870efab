"""The exit codes of every command (README.md, "Commands", "Exit codes")."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    # The run worked but found failures: validation failed, a deletion failed, approval refused.
    FAILURES = 1
    # Bad input or usage: unreadable or invalid plan, bad settings.
    BAD_INPUT = 2
    # AWS or GitHub access error that stopped the run.
    ACCESS_ERROR = 3


class CleanerError(Exception):
    """An error that ends a command with a message for the user and a definite exit code."""

    exit_code: ExitCode = ExitCode.FAILURES

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInputError(CleanerError):
    exit_code = ExitCode.BAD_INPUT


class AccessError(CleanerError):
    exit_code = ExitCode.ACCESS_ERROR
