"""The layering of the code (issue 14 §2): the core library never depends on its skins. Every
`import` and `from … import` of every module under monitor/ and api/ is read from its source
(imports inside functions included) and checked against `RULES`, the one place that says which
modules may not import which. Imports made from strings at run time (`monitor.__getattr__`, the
detector registry's "module:factory" names) are not seen here: they name core modules only.

To re-point the rule when modules move (e.g. the CLI into monitor/cli/), edit `RULES` alone."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("monitor", "api")

CLI = ("monitor.cli", "monitor.cli.*")  # the `qinglang` command, at the edge
WEB = ("api", "api.*")  # the HTTP API and the web UI
# the pure core: text in, hits out; it never reaches the store, the network or a stage after it
PURE = tuple(
    f"monitor.{p}{s}" for p in ("text", "lexicon", "model", "checking") for s in ("", ".*")
)
STAGES = tuple(
    f"monitor.{p}{s}"
    for p in ("store", "review", "credit", "notify", "live", "speech", "demo")
    for s in ("", ".*")
)
BROKER = ("monitor.broker", "monitor.broker.*")  # the work transport (Redis), past one machine
WORKER = ("monitor.worker", "monitor.worker.*")  # `qinglang worker`: talks to the API over HTTP


@dataclass(frozen=True)
class Rule:
    """Modules matching `importers` (but not `exempt`) never import one matching `forbidden`;
    each is a tuple of fnmatch patterns over dotted module names."""

    importers: tuple[str, ...]
    forbidden: tuple[str, ...]
    exempt: tuple[str, ...] = ()
    why: str = ""


RULES = (
    Rule(("monitor", "monitor.*"), WEB + CLI, exempt=CLI, why="the core imports no skin"),
    Rule(WEB, CLI, why="the API and UI do not import the command line"),
    Rule(PURE, STAGES, why="the check is pure: no store, network, review or credit"),
    Rule(
        ("monitor.store", "monitor.store.*"),
        ("monitor.notify", "monitor.notify.*", "monitor.live", "monitor.live.*"),
        why="the store does not send or fetch",
    ),
    Rule(
        ("monitor.store", "monitor.store.*", *PURE),
        BROKER,
        why="the store is the truth and the check is pure: neither knows the broker",
    ),
    Rule(
        ("monitor", "monitor.*", *WEB),
        WORKER,
        exempt=(*CLI, *WORKER),
        why="only the command line starts a worker",
    ),
    Rule(
        WORKER,
        (*WEB, "monitor.store", "monitor.store.*"),
        why="a worker reaches the store only through the API node, over HTTP",
    ),
)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.AST, module: str, is_package: bool, modules: set[str]) -> set[str]:
    """The modules a module's source imports: `from a import b` gives `a.b` when that is one of
    `modules`, else `a`; relative imports are resolved against `module`."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                names.add(submodule if submodule in modules else base)
    return names


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def import_edges(root: Path, packages: tuple[str, ...] = PACKAGES) -> set[tuple[str, str]]:
    """(importer, imported) for every import in the source of `packages` under `root`."""
    paths = {_module_name(path, root): path for p in packages for path in (root / p).rglob("*.py")}
    edges: set[tuple[str, str]] = set()
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in _imported(tree, module, path.name == "__init__.py", set(paths)):
            edges.add((module, name))
    return edges


def violations(edges: set[tuple[str, str]]) -> list[str]:
    return sorted(
        f"{importer} imports {imported}: {rule.why}"
        for importer, imported in edges
        for rule in RULES
        if _matches(importer, rule.importers)
        and not _matches(importer, rule.exempt)
        and _matches(imported, rule.forbidden)
    )


def test_the_core_imports_neither_the_api_nor_the_cli_and_the_api_not_the_cli():
    assert violations(import_edges(ROOT)) == []


def test_the_scan_sees_the_imports_the_cli_may_make():
    edges = import_edges(ROOT)
    assert ("monitor.cli.serve", "api") in edges  # imported inside a function
    assert any(
        importer == "monitor.cli.main" and _matches(imported, CLI) for importer, imported in edges
    )


def test_a_core_module_importing_a_skin_is_reported(tmp_path):
    for folder in (
        "monitor/cli", "monitor/checking", "monitor/store", "monitor/broker", "monitor/worker",
        "api",
    ):  # fmt: skip
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "monitor" / "cli" / "tool.py").write_text("from api import app\n")
    (tmp_path / "monitor" / "checking" / "scoring.py").write_text(
        "def serve():\n    from api.core.app import create_app\n\n"
        "from monitor.cli import tool\nfrom monitor.store import db\n"
    )
    (tmp_path / "api" / "__init__.py").write_text("from monitor.cli.tool import main\n")
    (tmp_path / "monitor" / "broker" / "queue.py").write_text("import monitor.store\n")
    (tmp_path / "monitor" / "store" / "jobs.py").write_text("from monitor.broker import queue\n")
    (tmp_path / "monitor" / "worker" / "loop.py").write_text("from monitor.store import db\n")
    (tmp_path / "monitor" / "live" / "rooms.py").parent.mkdir()
    (tmp_path / "monitor" / "live" / "rooms.py").write_text("import monitor.worker.loop\n")
    assert violations(import_edges(tmp_path)) == [
        "api imports monitor.cli.tool: the API and UI do not import the command line",
        "monitor.checking.scoring imports api.core.app: the core imports no skin",
        "monitor.checking.scoring imports monitor.cli.tool: the core imports no skin",
        "monitor.checking.scoring imports monitor.store: the check is pure: no store, network, "
        "review or credit",
        "monitor.live.rooms imports monitor.worker.loop: only the command line starts a worker",
        "monitor.store.jobs imports monitor.broker.queue: the store is the truth and the check is "
        "pure: neither knows the broker",
        "monitor.worker.loop imports monitor.store: a worker reaches the store only through the "
        "API node, over HTTP",
    ]
