"""Every package the library and the service import is declared in pyproject.toml (or is in the
standard library), so `pip install qinglang` brings what the code needs."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWN = {"monitor", "api", "__future__"}


def _imported_names(folder: Path) -> dict[str, str]:
    """Top-level name of every absolute import under `folder` (in functions too) -> a file."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(folder.parent)))
    return found


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        _normalised(re.split(r"[<>=!~\[; ]", s, maxsplit=1)[0]) for s in project["dependencies"]
    }


def _undeclared(folder: Path) -> list[str]:
    declared, distributions = _declared(), packages_distributions()
    problems = []
    for name, where in _imported_names(folder).items():
        if name in OWN or name in sys.stdlib_module_names:
            continue
        owners = {_normalised(d) for d in distributions.get(name, [])}
        if not owners & declared:
            problems.append(f"{name} ({where}; distribution {sorted(owners) or 'unknown'})")
    return problems


def test_every_import_of_the_library_and_the_service_is_declared_or_stdlib():
    undeclared = _undeclared(ROOT / "monitor") + _undeclared(ROOT / "api")
    assert not undeclared, "imported but not declared in pyproject.toml: " + ", ".join(undeclared)


def test_an_undeclared_import_is_found_even_inside_a_function(tmp_path):
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "m.py").write_text(
        "import json\nfrom . import x\nimport yaml\n\ndef f():\n    import jiwer.transforms\n"
    )
    assert _undeclared(folder) == ["jiwer (pkg/m.py; distribution ['jiwer'])"]
