"""Lambda GetAccountSettings: a region's code storage limit and use (one call per region)."""

from __future__ import annotations

from typing import Any

PERMISSION = "lambda:GetAccountSettings"


def read_code_storage(lambda_client: Any) -> tuple[int | None, int | None]:
    """(AccountLimit.TotalCodeSize, AccountUsage.TotalCodeSize) in bytes; None for a value not given."""
    response = lambda_client.get_account_settings()
    limit = (response.get("AccountLimit") or {}).get("TotalCodeSize")
    used = (response.get("AccountUsage") or {}).get("TotalCodeSize")
    return (
        int(limit) if isinstance(limit, int) and limit >= 0 else None,
        int(used) if isinstance(used, int) and used >= 0 else None,
    )
