"""`[tool.cleaner.cache_prices]`: a repository's own cache price per region (cleaner/settings.py), keys
AWS regions and values finite prices of at least 0, anything else refused naming the key (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.cli import run_in_process

from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.settings import load_settings


def pyproject(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n[tool.cleaner]\nregions = ["eu-west-1"]\n\n' + body)
    return path


def test_cache_prices_are_read_per_region(tmp_path: Path) -> None:
    body = '[tool.cleaner.cache_prices]\n"eu-west-1" = 0.0000016\n"ap-south-1" = 0\n'
    settings = load_settings(pyproject(tmp_path, body))
    assert settings.scan.cache_prices == {"eu-west-1": 0.0000016, "ap-south-1": 0.0}


def test_without_the_table_no_region_has_its_own_price(tmp_path: Path) -> None:
    assert load_settings(pyproject(tmp_path, "")).scan.cache_prices == {}


BAD: dict[str, tuple[str, str]] = {
    "not-a-region": ('"EU-WEST-1" = 0.0000016', 'cache_prices."EU-WEST-1"'),
    "region-with-a-typo": ('"eu-west" = 0.0000016', 'cache_prices."eu-west"'),
    "negative": ('"eu-west-1" = -0.0000016', 'cache_prices."eu-west-1"'),
    "infinite": ('"eu-west-1" = inf', 'cache_prices."eu-west-1"'),
    "not-a-number": ('"eu-west-1" = nan', 'cache_prices."eu-west-1"'),
    "a-string": ('"eu-west-1" = "0.0000016"', 'cache_prices."eu-west-1"'),
    "a-boolean": ('"eu-west-1" = true', 'cache_prices."eu-west-1"'),
}


@pytest.mark.parametrize(("line", "named"), BAD.values(), ids=BAD.keys())
def test_a_bad_cache_price_is_refused_naming_its_key(tmp_path: Path, line: str, named: str) -> None:
    path = pyproject(tmp_path, f"[tool.cleaner.cache_prices]\n{line}\n")
    with pytest.raises(BadInputError) as raised:
        load_settings(path)
    assert raised.value.message.startswith(f"{path}: [tool.cleaner] {named}: ")
    assert raised.value.exit_code == ExitCode.BAD_INPUT


def test_cache_prices_that_are_not_a_table_are_refused(tmp_path: Path) -> None:
    path = pyproject(tmp_path, "")
    path.write_text(path.read_text().replace("[tool.cleaner]\n", "[tool.cleaner]\ncache_prices = 0.000002\n"))
    with pytest.raises(BadInputError) as raised:
        load_settings(path)
    assert "[tool.cleaner] cache_prices: Input should be a valid dictionary" in raised.value.message


def test_a_scan_with_a_bad_cache_price_exits_2_before_reaching_aws(tmp_path: Path) -> None:
    pyproject(tmp_path, '[tool.cleaner.cache_prices]\n"eu-west-1" = -1.0\n')
    run = run_in_process(["scan"], tmp_path, {})
    assert run.code == ExitCode.BAD_INPUT
    assert 'cache_prices."eu-west-1": Input should be greater than or equal to 0' in run.stderr
    assert not (tmp_path / "plans").exists()
