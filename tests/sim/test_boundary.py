"""The simulator is a test double: only the commands that choose it import it, and only lazily."""

from __future__ import annotations

import ast
from pathlib import Path

import argo_lib

LIBRARY = Path(argo_lib.__file__).resolve().parent
CHOOSERS = {"cli.py", "cli_diagnose.py", "jobs/ingest.py"}
"""``argo demo``, ``argo fake-eniscope``, ``argo diagnose --fake`` and ``argo ingest --fake`` (through
the jobs layer)."""


def _sim_imports(tree: ast.AST) -> list[ast.stmt]:
    found: list[ast.stmt] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {a.name for a in node.names}
            if node.module.startswith("argo_lib.sim") or (
                node.module == "argo_lib" and "sim" in names
            ):
                found.append(node)
        elif isinstance(node, ast.Import) and any(
            a.name.startswith("argo_lib.sim") for a in node.names
        ):
            found.append(node)
    return found


def test_only_the_commands_that_choose_it_import_the_simulator():
    importers = {}
    for path in sorted(LIBRARY.rglob("*.py")):
        relative = path.relative_to(LIBRARY).as_posix()
        if relative.startswith("sim/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if _sim_imports(tree):
            importers[relative] = tree
    assert set(importers) == CHOOSERS
    for relative, tree in importers.items():
        top_level = [node for node in tree.body if node in _sim_imports(tree)]
        assert not top_level, f"{relative} imports argo_lib.sim at module level"
