"""Small, documented patches that make moto behave like AWS where the cleaner depends on it.

moto 5.2 hard-codes `SnapStart: {ApplyOn: None}` in every Lambda response and ignores the setting on
create/update, so no simulated version would ever have SnapStart. This patch stores the setting on the
function object; `publish_version` copies that object, so every version keeps the value it was
published with, as on AWS. It works in-process (`mock_aws`) and with `ThreadedMotoServer`.

Only the demo, the sandbox and the tests install it: the product never relies on moto.
"""

from __future__ import annotations

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
