"""Every module of `cleaner` imports on its own: catches import cycles and imports that only work
because another module happened to be imported first.

One fresh interpreter does it all, fast: before each module is imported, every `cleaner` module is
dropped from `sys.modules`, so the module under test is the first of the package to load (third-party
libraries stay loaded; a cycle can only run through our own modules).
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import cleaner

# Importing `cleaner.__main__` runs the program; it is checked by running it instead.
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(cleaner.__path__, prefix="cleaner.")
    if info.name != "cleaner.__main__"
)

_IMPORT_EACH_FIRST = """
import importlib, json, sys, traceback
failures = {}
for module in sys.argv[1:]:
    for name in [n for n in sys.modules if n == "cleaner" or n.startswith("cleaner.")]:
        del sys.modules[name]
    try:
        importlib.import_module(module)
    except BaseException:
        failures[module] = traceback.format_exc(limit=-3)
print(json.dumps(failures))
"""


def test_the_package_has_the_modules_we_expect() -> None:
    assert {"cleaner.policy", "cleaner.plan", "cleaner.cli", "cleaner.aws.metrics"} <= set(MODULES)


def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH_FIRST, *MODULES],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    failures: dict[str, str] = json.loads(result.stdout)
    assert failures == {}, "\n".join(f"{module}:\n{trace}" for module, trace in failures.items())


def test_the_check_catches_an_import_cycle(tmp_path: Path) -> None:
    """The harness itself: two modules importing names from each other fail whichever comes first."""
    root = tmp_path / "cleaner"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from cleaner.b import B\nA = 1\n")
    (root / "b.py").write_text("from cleaner.a import A\nB = 2\n")
    (root / "fine.py").write_text("import json\n")
    result = subprocess.run(
        [sys.executable, "-S", "-c", _IMPORT_EACH_FIRST, "cleaner.fine", "cleaner.a", "cleaner.b"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=root.parent,
        env={"PYTHONPATH": str(root.parent), "PYTHONSAFEPATH": "1"},
    )
    failures = json.loads(result.stdout)
    assert set(failures) == {"cleaner.a", "cleaner.b"}
    assert all("partially initialized module" in trace for trace in failures.values())


def test_python_dash_m_cleaner_runs_the_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cleaner", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "usage: snapstart-cleaner" in result.stdout


def _imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at any level (TYPE_CHECKING and function bodies too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_command_module_imports_the_cli() -> None:
    """cli.py parses and dispatches; the commands take what they share from cleaner.environment, so
    the two never import each other (the cycle issue 12 found)."""
    package = Path(cleaner.__file__).parent
    modules = [
        *(package / "commands").glob("*.py"),
        *(package / "sandbox").glob("*.py"),
        package / "environment.py",
    ]
    importing = [
        str(path.relative_to(package)) for path in modules if "cleaner.cli" in _imported_modules(path)
    ]
    assert len(modules) > 8
    assert importing == []
