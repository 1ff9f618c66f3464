"""How many subjects of a public text-to-video prompt suite the procedural engine draws.

    python bench/prompt_coverage.py [--show-missing]

The suite is VBench's prompts per category (Apache-2.0, shipped in
``tests/data/vbench_prompts/`` with its licence). VBench gives no frequency for its
prompts, so "the 100 most frequent" is taken as the first prompts of each of its eight
categories, stratified: 13 each of animal, architecture, food and human, 12 each of
lifestyle, plant, scenery and vehicles. Their subject nouns (what the video should show)
were annotated by hand in ``subjects.tsv``. A noun counts as drawn when the engine's own
report for the prompt (``prompt_words``: the words it drew, the words it could not)
lists it as drawn. Goal: at least 80% of the nouns, overall. Exit status 1 below it.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from reelvault.engines.procedural.scene import prompt_words

SUITE = Path(__file__).resolve().parent.parent / "tests" / "data" / "vbench_prompts"
GOAL = 0.8


@dataclass(frozen=True)
class Annotated:
    category: str
    prompt: str
    nouns: tuple[str, ...]


@dataclass
class Coverage:
    """Nouns drawn and missed, per category."""

    drawn: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    missed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def share(self) -> float:
        drawn = sum(len(v) for v in self.drawn.values())
        total = drawn + sum(len(v) for v in self.missed.values())
        return drawn / total if total else 0.0

    def category_share(self, category: str) -> float:
        drawn, missed = len(self.drawn[category]), len(self.missed[category])
        return drawn / (drawn + missed) if drawn + missed else 0.0


def load_suite(folder: Path = SUITE) -> list[Annotated]:
    """The annotated prompts: ``subjects.tsv`` rows joined with the category files' lines."""
    lines: dict[str, list[str]] = {}
    annotated = []
    for row in (folder / "subjects.tsv").read_text(encoding="utf-8").splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        category, number, nouns = row.split("\t")
        if category not in lines:
            text = (folder / f"{category}.txt").read_text(encoding="utf-8")
            lines[category] = text.splitlines()
        prompt = lines[category][int(number) - 1].strip()
        annotated.append(Annotated(category, prompt, tuple(nouns.split(","))))
    return annotated


def measure(suite: list[Annotated]) -> Coverage:
    """Which annotated nouns the engine reports as drawn for their prompt."""
    coverage = Coverage()
    for item in suite:
        drawn = set(prompt_words(item.prompt).drawn)
        for noun in item.nouns:
            (coverage.drawn if noun in drawn else coverage.missed)[item.category].append(noun)
    return coverage


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-missing", action="store_true", help="List the nouns not drawn.")
    args = parser.parse_args()
    suite = load_suite()
    coverage = measure(suite)
    categories = sorted({item.category for item in suite})
    print(f"{len(suite)} prompts of VBench's categories; subject nouns the engine draws:")
    for category in categories:
        drawn, missed = coverage.drawn[category], coverage.missed[category]
        line = f"  {category:<13} {len(drawn):3d}/{len(drawn) + len(missed):<3d}"
        line += f" {coverage.category_share(category):6.1%}"
        if args.show_missing and missed:
            line += "   not drawn: " + ", ".join(missed)
        print(line)
    verdict = "meets" if coverage.share >= GOAL else "misses"
    print(f"  {'overall':<13} {coverage.share:14.1%}   ({verdict} the {GOAL:.0%} goal)")
    return 0 if coverage.share >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
