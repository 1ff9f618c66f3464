"""docs/privacy-matrix.yaml stays true: every function and test it names exists, every
row is either kept by code (with enforcement and proof) or an operator duty, and the
Markdown view is the rendering of the YAML."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from tests.privacy import mutation_plugin
from tests.privacy.matrix import ROOT, VIEW, Row, load, render

SEEDS = ROOT.parent / "shared" / "seeds"
NODE = re.compile(r"^(tests/[\w/]+\.py)::(\w+)(\[[^\]]*\])?$")
MATRIX = load()


@cache
def _test_functions(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text())
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    )


def test_every_row_has_a_quoted_promise_and_a_known_source() -> None:
    assert len(MATRIX.sources) == 5
    if SEEDS.is_dir():
        for source in MATRIX.sources.values():
            assert (SEEDS / source["file"]).is_file(), source["file"]
    assert len(MATRIX.rows) >= 40
    for row in MATRIX.rows:
        assert row.source in MATRIX.sources, row.id
        assert row.promise.startswith('"'), f"row {row.id} should quote the promise"
    assert [row.id for row in MATRIX.rows] == list(range(1, len(MATRIX.rows) + 1))


@pytest.mark.parametrize("row", MATRIX.rows, ids=lambda row: f"row{row.id}")
def test_a_row_is_kept_by_code_and_proved_or_is_an_operator_duty(row: Row) -> None:
    if row.operator_only:
        assert row.operator, f"row {row.id}: say what the operator must do"
        return
    assert row.enforced_by, f"row {row.id}: name the enforcing functions"
    assert row.proved_by, f"row {row.id}: name the proving tests"
    assert row.how, f"row {row.id}: say how the promise is kept"


@pytest.mark.parametrize("row", MATRIX.software_rows(), ids=lambda row: f"row{row.id}")
def test_every_named_test_and_function_exists(row: Row) -> None:
    for node in row.proved_by:
        match = NODE.match(node)
        assert match, f"row {row.id}: {node!r} is not a node id"
        path, function, _params = match.groups()
        assert (ROOT / path).is_file(), f"row {row.id}: no file {path}"
        assert function in _test_functions(path), f"row {row.id}: no {path}::{function}"
    for enforcement in row.enforced_by:
        mutation_plugin.check(enforcement.target, enforcement.mutation)


def test_the_markdown_is_the_rendering_of_the_yaml() -> None:
    assert VIEW.read_text() == render(MATRIX), "run `make privacy-matrix` after editing the YAML"


def test_the_readme_points_at_the_proof() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docs/privacy-matrix.md" in readme
    assert "make privacy-proof" in readme


def test_operator_duties_are_listed_apart() -> None:
    text = Path(VIEW).read_text()
    duties = text.split("## Operator duties", 1)[1]
    for row in MATRIX.operator_rows():
        assert f"| {row.id} |" in duties


def _readme_guarantees() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    listing = readme.split("What the code guarantees:", 1)[1].split("\n\n", 2)[1]
    return [item.removeprefix("- ") for item in ("\n" + listing).split("\n- ") if item.strip()]


def test_every_guarantee_the_readme_states_cites_matrix_rows() -> None:
    """README says what the code guarantees; each claim must point at rows whose proof is
    mutation-checked (or, for an operator's share, at an operator duty)."""
    rows = {row.id: row for row in MATRIX.rows}
    guarantees = _readme_guarantees()
    assert len(guarantees) >= 8
    for guarantee in guarantees:
        cited = re.search(r"\((?:Matrix rows?|Rows?) ([\d, ]+)[.,)]", guarantee)
        assert cited, f"cite the matrix rows behind: {guarantee[:60]}"
        for number in (int(part) for part in cited.group(1).split(",")):
            assert number in rows, f"no row {number}"
            row = rows[number]
            if not row.operator_only:
                assert not row.pending, f"row {number} is still pending: {guarantee[:60]}"
