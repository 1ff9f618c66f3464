"""Code stays readable in pieces: no module in src/ over 600 lines, no function over 100 lines.

A long module or function hides several jobs behind one name; these limits make each job get
its own (issue 16, part 5). The check reads the source with `ast`, so it needs no imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "reelvault"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 100

# Modules allowed over the limit, each with the reason (none today: keep it that way).
LONG_MODULES_ALLOWED: frozenset[str] = frozenset()

# Alembic migrations are generated, frozen history: they are never edited, so never split.
MIGRATIONS = "db/migrations/versions"


def modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # Decorators count: they are part of what a reader reads as the function.
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            lines = (node.end_lineno or node.lineno) - first + 1
            if lines > MAX_FUNCTION_LINES:
                found.append(f"{relative(path)}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_the_walk_finds_the_package() -> None:
    assert len(modules()) > 50


def test_no_module_is_over_600_lines() -> None:
    too_long = [
        f"{relative(path)} ({count} lines)"
        for path in modules()
        if relative(path) not in LONG_MODULES_ALLOWED
        and (count := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not too_long, "modules over 600 lines: " + ", ".join(too_long)


def test_the_allow_list_names_only_long_modules() -> None:
    # An entry that is no longer needed (split, or gone) must leave the list with it.
    stale = [
        name
        for name in LONG_MODULES_ALLOWED
        if not (SRC / name).exists()
        or len((SRC / name).read_text().splitlines()) <= MAX_MODULE_LINES
    ]
    assert not stale, "remove from LONG_MODULES_ALLOWED: " + ", ".join(stale)


def test_no_function_is_over_100_lines() -> None:
    too_long = [
        found
        for path in modules()
        if not relative(path).startswith(MIGRATIONS + "/")
        for found in long_functions(path)
    ]
    assert not too_long, "functions over 100 lines: " + "; ".join(too_long)
