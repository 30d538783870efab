"""Small, documented patches that make moto behave like AWS where the cleaner depends on it.

moto 5.2 hard-codes `SnapStart: {ApplyOn: None}` in every Lambda response and ignores the setting on
create/update, so no simulated version would ever have SnapStart. This patch stores the setting on the
function object; `publish_version` copies that object, so every version keeps the value it was
published with, as on AWS. It works in-process (`mock_aws`) and with `ThreadedMotoServer`.

It also answers Lambda's GetAccountSettings (`install_account_settings_shim`), which moto lacks.

Only the demo, the sandbox and the tests install them: the product never relies on moto.
"""

from __future__ import annotations

import json
from typing import Any

_INSTALLED_FLAG = "_snapstart_cleaner_shim"


def install_snapstart_shim() -> None:
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction, _INSTALLED_FLAG, False):
        return
    original_init = LambdaFunction.__init__
    original_update = LambdaFunction.update_configuration
    original_get = LambdaFunction.get_configuration

    def __init__(
        self: Any, account_id: str, spec: dict[str, Any], region: str, version: str | int = 1
    ) -> None:
        original_init(self, account_id, spec, region, version)
        self.snapstart_apply_on = (spec.get("SnapStart") or {}).get("ApplyOn", "None")

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "SnapStart" in config_updates:
            self.snapstart_apply_on = (config_updates["SnapStart"] or {}).get("ApplyOn", "None")
        return original_update(self, config_updates)

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config: dict[str, Any] = original_get(self, on_create)
        apply_on = getattr(self, "snapstart_apply_on", "None")
        published = str(self.version) != "$LATEST"
        config["SnapStart"] = {
            "ApplyOn": apply_on,
            "OptimizationStatus": "On" if apply_on == "PublishedVersions" and published else "Off",
        }
        return config

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    setattr(LambdaFunction, _INSTALLED_FLAG, True)
    install_account_settings_shim()


# Lambda's default code storage limit per region: 75 GiB.
DEFAULT_CODE_STORAGE_LIMIT = 75 * 1024**3
_ACCOUNT_SETTINGS_FLAG = "_snapstart_cleaner_account_settings"


def install_account_settings_shim() -> None:
    """GetAccountSettings, which moto 5.2 does not implement (404 "Not yet implemented"): the default
    75 GiB code storage limit, and as usage the code size of every function's `$LATEST` and published
    versions moto holds in the region (what AWS counts, layers aside). Works in-process and with
    `ThreadedMotoServer`."""
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse

    if getattr(LambdaResponse, _ACCOUNT_SETTINGS_FLAG, False):
        return

    def get_account_settings(self: Any) -> str:
        groups = list(self.backend._lambdas._functions.values())
        functions = [f for group in groups for f in (group["latest"], *group["versions"])]
        return json.dumps(
            {
                "AccountLimit": {
                    "TotalCodeSize": DEFAULT_CODE_STORAGE_LIMIT,
                    "CodeSizeUnzipped": 262144000,
                    "CodeSizeZipped": 52428800,
                    "ConcurrentExecutions": 1000,
                    "UnreservedConcurrentExecutions": 1000,
                },
                "AccountUsage": {
                    "TotalCodeSize": sum(int(f.code_size) for f in functions),
                    "FunctionCount": len(groups),
                },
            }
        )

    LambdaResponse.get_account_settings = get_account_settings  # type: ignore[attr-defined]
    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = LambdaResponse.dispatch
    setattr(LambdaResponse, _ACCOUNT_SETTINGS_FLAG, True)
