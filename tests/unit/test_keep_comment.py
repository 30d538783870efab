"""The `/keep` comment grammar: one line, `/keep` and FUNCTION:VERSION items named as in a plan."""

from __future__ import annotations

import pytest

from cleaner.exit_codes import BadInputError
from cleaner.github.keep import KeepItem, parse_keep_comment


@pytest.mark.parametrize(
    ("body", "items"),
    [
        ("/keep api:2", [KeepItem("api", "2")]),
        ("  /keep orders-api:5 my_fn:12  \n", [KeepItem("orders-api", "5"), KeepItem("my_fn", "12")]),
        ("/keep api:2 api:2", [KeepItem("api", "2")]),
        # A region first, for a function the plan has in several regions.
        ("/keep eu-west-1:api:2 api:3", [KeepItem("api", "2", "eu-west-1"), KeepItem("api", "3")]),
        # A function may be named like a region: two colons make the region form, one does not.
        ("/keep us-east-1:2", [KeepItem("us-east-1", "2")]),
        ("/keep us-east-1:us-east-1:2", [KeepItem("us-east-1", "2", "us-east-1")]),
    ],
)
def test_a_keep_request_names_each_version_once(body: str, items: list[KeepItem]) -> None:
    assert parse_keep_comment(body) == items


@pytest.mark.parametrize(
    "body",
    [
        "/keep",
        "/keep api",
        "/keep api:0",  # versions start at 1
        "/keep api:$LATEST",
        "/keep api:2,3",
        "/keep api:2-3",
        "/keep api:2\nplease",  # a second line
        "/keep api:2 because it is used",
        "/keepapi:2",
        "/KEEP api:2",
        "please /keep api:2",
        "/keep us-east-1/api:2",
        "/keep nowhere:api:2",  # not a region
        "/keep us-east-1:api:2:3",
        f"/keep {'a' * 65}:2",  # longer than a Lambda function name
        "/keep api:12345678901",  # more digits than a Lambda version
        "/keep <!--x-->:2",
    ],
)
def test_anything_else_is_not_a_keep_request(body: str) -> None:
    with pytest.raises(BadInputError, match="not a keep request"):
        parse_keep_comment(body)


def test_a_comment_naming_too_many_versions_is_refused() -> None:
    body = "/keep " + " ".join(f"api:{n}" for n in range(1, 102))

    with pytest.raises(BadInputError, match="at most 100"):
        parse_keep_comment(body)
