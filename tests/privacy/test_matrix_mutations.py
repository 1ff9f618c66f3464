"""Every row of the privacy matrix fails its tests when its enforcement is removed.

One pytest subprocess (``tests/privacy/mutation_plugin.py``) runs every proving test as
it is and then with each enforcing function of its row swapped for a no-op, identity or
constant. A row passes only if its tests pass unmodified, each mutation makes at least
one of them fail, and each of them fails under at least one mutation.

Select a few rows with ``REELVAULT_MATRIX_ROWS=12,43`` while working on them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from typing import Any

import pytest

from tests.privacy.matrix import ROOT, Row, load
from tests.storage_backends import is_storage_test

pytestmark = pytest.mark.privacy_proof

MATRIX = load()


def _selected_rows() -> list[Row]:
    wanted = os.environ.get("REELVAULT_MATRIX_ROWS", "")
    rows = MATRIX.software_rows()
    if wanted:
        ids = {int(part) for part in wanted.split(",") if part.strip()}
        rows = [row for row in rows if row.id in ids]
    return rows


def _proved_by(row: Row) -> list[str]:
    """The row's proving tests as collected in the mutation run (on SQLite only): a storage
    test's parameters start with its database backend, ``test_x[sqlite-standard]``."""
    nodes = []
    for node in row.proved_by:
        path, _, name = node.partition("::")
        if "[" in name and is_storage_test(ROOT / path, ROOT):
            function, _, params = name.partition("[")
            node = f"{path}::{function}[sqlite-{params}"
        nodes.append(node)
    return nodes


def _case_id(row: Row, index: int) -> str:
    return f"row{row.id}/{index}"


@pytest.fixture(scope="module")
def mutation_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rows = _selected_rows()
    work = tmp_path_factory.mktemp("mutations")
    report = work / "report.json"
    cases = [
        {
            "case_id": _case_id(row, index),
            "target": enforcement.target,
            "mutation": enforcement.mutation,
            "tests": _proved_by(row),
        }
        for row in rows
        for index, enforcement in enumerate(row.enforced_by)
    ]
    plan = work / "plan.json"
    plan.write_text(json.dumps({"cases": cases, "report": str(report)}))
    nodes = sorted({node for row in rows for node in _proved_by(row)})
    # The mutations are checked on the embedded database: on both, the run would double.
    # A browser test whose enforcement is removed waits for what never comes: 5 s, not 30.
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "REELVAULT_TEST_DATABASES": "sqlite",
        "REELVAULT_E2E_WAIT_MS": "5000",
    }
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.privacy.mutation_plugin",
            f"--mutation-plan={plan}",
            "-q",
            "--tb=line",
            "-p",
            "no:cacheprovider",
            "--timeout=120",
            "-o",
            "addopts=",
            "-W",
            "ignore::pytest.PytestUnraisableExceptionWarning",
            *nodes,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    if not report.is_file():
        pytest.fail(f"the mutation run wrote no report:\n{completed.stdout[-4000:]}")
    runs: dict[str, Any] = json.loads(report.read_text())
    return runs


def _by_case(runs: dict[str, Any]) -> dict[str | None, list[dict[str, Any]]]:
    grouped: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for run in runs["runs"]:
        grouped[run["case"]].append(run)
    return grouped


def _params() -> list[Any]:
    return [
        pytest.param(
            row,
            id=f"row{row.id}",
            marks=[pytest.mark.xfail(reason=row.pending, strict=True)] if row.pending else [],
        )
        for row in _selected_rows()
    ]


@pytest.mark.parametrize("row", _params())
def test_the_row_fails_without_its_enforcement(row: Row, mutation_runs: dict[str, Any]) -> None:
    grouped = _by_case(mutation_runs)
    baseline = {run["test"]: run for run in grouped[None]}
    problems: list[str] = []
    for node in _proved_by(row):
        matching = [run for test, run in baseline.items() if _same_test(test, node)]
        if not matching:
            problems.append(f"{node}: not collected")
        for run in matching:
            if run["outcome"] != "passed":
                problems.append(
                    f"{run['nodeid']}: {run['outcome']} unmodified ({run.get('reason')})"
                )
    failed_by: dict[str, set[str]] = defaultdict(set)
    for index, enforcement in enumerate(row.enforced_by):
        case = _case_id(row, index)
        killers = [run for run in grouped.get(case, []) if run["outcome"] == "failed"]
        if not killers:
            problems.append(
                f"{enforcement.target} ({enforcement.mutation}): every test passes without it"
            )
        for run in killers:
            failed_by[run["test"]].add(case)
    for node in _proved_by(row):
        if not failed_by.get(node):
            problems.append(f"{node}: passes under every mutation of this row")
    assert not problems, f"row {row.id}:\n" + "\n".join(problems)


def _same_test(collected: str, node: str) -> bool:
    return collected == node or collected.startswith(node + "[")


def test_the_mutation_plugin_swaps_code_everywhere_and_restores_it() -> None:
    from tests.privacy import mutation_plugin
    from tests.privacy.fixtures_for_mutation import (
        Filter,
        closed_over,
        double,
        echo_text,
        make_closure,
    )

    with mutation_plugin.mutated("tests.privacy.fixtures_for_mutation:double", "noop"):
        assert double(2) is None
    assert double(2) == 4
    with mutation_plugin.mutated("tests.privacy.fixtures_for_mutation:Filter.clean", "identity"):
        assert Filter().clean("a b") == "a b"
    assert Filter().clean("a b") == "ab"
    with mutation_plugin.mutated("tests.privacy.fixtures_for_mutation:echo_text", "return: 'x'"):
        assert echo_text("y") == "x"
    assert echo_text("y") == "y"
    closure = make_closure()
    with mutation_plugin.mutated("tests.privacy.fixtures_for_mutation:closed_over", "noop"):
        assert closure() is None  # rebound where callers look it up
    assert closed_over() == 3
