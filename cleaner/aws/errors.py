"""Turning botocore exceptions into messages that name the failing call and the missing permission."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "AuthFailure",
        "SignatureDoesNotMatch",
    }
)
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "NoSuchEntity", "404"})


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "Unknown"))
    return type(error).__name__


def is_access_denied(error: BaseException) -> bool:
    return isinstance(error, NoCredentialsError) or error_code(error) in ACCESS_DENIED_CODES


def is_not_found(error: BaseException) -> bool:
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return error_code(error) in NOT_FOUND_CODES or status == 404
    return False


def describe(error: BaseException, permission: str) -> str:
    """`lambda:ListFunctions: AccessDeniedException: <AWS message>` style text."""
    if isinstance(error, NoCredentialsError):
        return (
            f"{permission}: no AWS credentials found (set up the default credential chain, e.g. AWS_PROFILE)"
        )
    if isinstance(error, NoRegionError):
        return f"{permission}: no AWS region configured (pass --region or set AWS_REGION)"
    if isinstance(error, ClientError):
        message = error.response.get("Error", {}).get("Message", "")
        return f"{permission}: {error_code(error)}: {message}".rstrip(": ")
    if isinstance(error, EndpointConnectionError):
        endpoint = getattr(error, "kwargs", {}).get("endpoint_url", "")
        local = any(host in endpoint for host in ("://127.", "://localhost", "://[::1]"))
        hint = (
            " (a local endpoint, from AWS_ENDPOINT_URL: is the sandbox running? `snapstart-cleaner sandbox`)"
            if local
            else " (check the network, the region and AWS_ENDPOINT_URL)"
        )
        return f"{permission}: {error}: nothing answers there{hint}"
    if isinstance(error, BotoCoreError):
        return f"{permission}: {error}"
    return f"{permission}: {type(error).__name__}: {error}"


AWS_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotoCoreError)
