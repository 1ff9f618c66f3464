"""The privacy matrix: `docs/privacy-matrix.yaml` is the source, `docs/privacy-matrix.md` its view.

Run ``python -m tests.privacy.matrix`` (or ``make privacy-matrix``) after editing the YAML;
`tests/unit/privacy/test_matrix.py` fails while the Markdown is stale.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[2]
SOURCE = ROOT / "docs" / "privacy-matrix.yaml"
VIEW = ROOT / "docs" / "privacy-matrix.md"


@dataclass(frozen=True)
class Enforcement:
    target: str
    mutation: str


@dataclass(frozen=True)
class Row:
    id: int
    promise: str
    source: str
    setting: str
    how: str
    enforced_by: tuple[Enforcement, ...]
    proved_by: tuple[str, ...]
    operator: str
    pending: str

    @property
    def operator_only(self) -> bool:
        return not self.enforced_by and not self.proved_by


@dataclass(frozen=True)
class Matrix:
    sources: dict[str, dict[str, str]]
    rows: tuple[Row, ...]

    def software_rows(self) -> list[Row]:
        return [row for row in self.rows if not row.operator_only]

    def operator_rows(self) -> list[Row]:
        return [row for row in self.rows if row.operator_only]


def _row(raw: dict[str, Any]) -> Row:
    return Row(
        id=int(raw["id"]),
        promise=str(raw["promise"]),
        source=str(raw["source"]),
        setting=str(raw.get("setting", "—")),
        how=str(raw.get("how", "")),
        enforced_by=tuple(
            Enforcement(str(item["target"]), str(item.get("mutation", "noop")))
            for item in raw.get("enforced_by") or ()
        ),
        proved_by=tuple(str(node) for node in raw.get("proved_by") or ()),
        operator=str(raw.get("operator", "")),
        pending=str(raw.get("pending", "")),
    )


def load(path: Path = SOURCE) -> Matrix:
    raw = yaml.safe_load(path.read_text())
    return Matrix(sources=raw["sources"], rows=tuple(_row(item) for item in raw["rows"]))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


HEADER = """\
# Privacy traceability matrix

<!-- Generated from privacy-matrix.yaml by `make privacy-matrix`: edit the YAML. -->

Every promise in the five privacy policies reelvault must be able to keep
(`../shared/seeds/`, DESIGN.md "The five services we replace") is one row: the promise
(quoted short), the policy it comes from, the setting of *our* policy file that switches
it, how it is kept, the functions that keep it and the tests that prove it.

## How the proof works

* **Enforced by** names functions by import path (`module:function`), each with the
  mutation that switches it off: `noop` (does nothing, returns nothing), `identity` (a
  filter that lets everything through) or `return: X` (always answers X).
* **Proved by** names pytest node ids.
* `tests/privacy/test_matrix_mutations.py` (`make privacy-proof`, also part of
  `make test`) runs every proving test of a row as it is, where it must pass, and again
  with each enforcing function of its row swapped for its mutation. The row fails unless
  every mutation makes at least one of its tests fail, and every test fails under at
  least one of its row's mutations: a test that keeps passing without the code it cites
  proves nothing.
* `tests/unit/privacy/test_matrix.py` checks that every function and test named here
  exists and that this page is the rendering of the YAML.
* A row marked **pending** names a proof that does not yet fail without its
  enforcement; the mutation test expects it to fail (a strict xfail), so the
  count below can only go down.
* Promises software cannot keep on its own are listed under
  [Operator duties](#operator-duties) with what the operator must do.
"""


def render(matrix: Matrix | None = None) -> str:
    matrix = matrix or load()
    lines = [HEADER, "## Sources", "", "| id | file | service |", "|---|---|---|"]
    for key, source in matrix.sources.items():
        lines.append(f"| {key} | `{source['file']}` | {source['service']} |")
    software = matrix.software_rows()
    lines += [
        "",
        "## Matrix",
        "",
        f"{len(software)} rows kept by code, each checked by removing its enforcement.",
        "",
        f"Pending rows: {sum(1 for row in software if row.pending)}",
        "",
        "| # | Promise | Source | Policy setting | How | Enforced by | Proved by |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in software:
        how = row.how + (f" Operator: {row.operator}" if row.operator else "")
        if row.pending:
            how += f" **Pending:** {row.pending}"
        enforced = "<br>".join(f"`{e.target}` ({e.mutation})" for e in row.enforced_by)
        proved = "<br>".join(f"`{node}`" for node in row.proved_by)
        cells = [str(row.id), row.promise, row.source, row.setting, how, enforced, proved]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    operator = matrix.operator_rows()
    lines += [
        "",
        "## Operator duties",
        "",
        f"{len(operator)} promises that only the operator of a deployment can keep.",
        "",
        "| # | Promise | Source | Policy setting | What the operator must do |",
        "|---|---|---|---|---|",
    ]
    for row in operator:
        cells = [str(row.id), row.promise, row.source, row.setting, row.operator]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    VIEW.write_text(render())
    print(f"wrote {VIEW.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
