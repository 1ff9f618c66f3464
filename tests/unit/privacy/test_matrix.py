"""docs/privacy-matrix.md stays true: every test it names exists, pending rows are counted."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
MATRIX = ROOT / "docs" / "privacy-matrix.md"
SEEDS = ROOT.parent / "shared" / "seeds"
PENDING = "pending: issue 6"
OPERATOR = "operator"
NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(\[[^\]]*\])?`")


def _table(heading: str) -> list[list[str]]:
    text = MATRIX.read_text()
    section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


@cache
def _test_functions(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text())
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    )


def _rows() -> list[list[str]]:
    return _table("Matrix")


def test_every_row_has_six_cells_and_a_known_source() -> None:
    sources = {row[0]: row[1].strip("`") for row in _table("Sources")}
    assert len(sources) == 5
    if SEEDS.is_dir():
        for name in sources.values():
            assert (SEEDS / name).is_file(), name
    rows = _rows()
    assert len(rows) >= 40
    for row in rows:
        assert len(row) == 6, row[0]
        assert row[2] in sources, row[0]
        assert row[1].startswith('"'), f"row {row[0]} should quote the promise"
    assert [int(row[0]) for row in rows] == list(range(1, len(rows) + 1))


@pytest.mark.parametrize("row", _rows(), ids=lambda row: f"row{row[0]}")
def test_every_named_test_exists(row: list[str]) -> None:
    proof = row[5]
    if proof in (PENDING, OPERATOR):
        return
    nodes = NODE.findall(proof)
    leftover = NODE.sub("", proof).replace(",", "").strip()
    assert nodes, f"row {row[0]}: name a test, '{PENDING}' or '{OPERATOR}'"
    assert not leftover, f"row {row[0]}: unexpected text {leftover!r}"
    for path, function, _params in nodes:
        assert (ROOT / path).is_file(), f"row {row[0]}: no file {path}"
        assert function in _test_functions(path), f"row {row[0]}: no {path}::{function}"


def test_pending_rows_are_counted_in_the_header() -> None:
    pending = [row[0] for row in _rows() if row[5] == PENDING]
    stated = re.search(r"^Pending rows: (\d+)$", MATRIX.read_text(), re.MULTILINE)
    assert stated, "the matrix should say how many rows are pending"
    assert int(stated.group(1)) == len(pending), f"pending rows: {', '.join(pending)}"


def test_operator_rows_say_how_the_operator_keeps_the_promise() -> None:
    for row in _rows():
        if row[5] == OPERATOR:
            assert row[4].startswith("operator") or "operator" in row[4], row[0]
