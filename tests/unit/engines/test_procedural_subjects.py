"""The procedural engine's subjects: what it draws, what it says it drew, and coverage of a
public prompt suite (VBench's prompts per category, shipped with its licence)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from reelvault.engines.procedural import ProceduralEngine
from reelvault.engines.procedural.catalogue import CATALOGUE_WORDS, LOOKS, QUALIFIED
from reelvault.engines.procedural.render import SceneRenderer
from reelvault.engines.procedural.scene import parse_prompt, prompt_words
from reelvault.engines.procedural.subjects import extent

ROOT = Path(__file__).resolve().parents[3]
FOX = "a red fox running through a snowy forest at night under the northern lights"


def bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "prompt_coverage", ROOT / "bench" / "prompt_coverage.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def subject_difference(prompt: str, width: int = 192, height: int = 108) -> tuple[float, float]:
    """(mean change inside the subjects' boxes, outside them) when the subjects are drawn
    versus the same frame without them: the background is the same in both."""
    scene = parse_prompt(prompt, 5)
    renderer = SceneRenderer(
        scene, width=width, height=height, fps=8, frame_count=8, camera="static", grain=0.0
    )
    with_subjects = renderer.render(2).astype(np.int16)
    actors = renderer.actors
    renderer.actors = []
    without = renderer.render(2).astype(np.int16)
    renderer.actors = actors
    inside = np.zeros((height, width), dtype=bool)
    for actor in actors:
        left, top, right, bottom = extent(actor.kind, actor.size)
        x0, x1 = max(0, int(actor.x - left)), min(width, int(actor.x + right) + 1)
        y0, y1 = max(0, int(actor.y - top)), min(height, int(actor.y + bottom) + 1)
        inside[y0:y1, x0:x1] = True
    change = np.abs(with_subjects - without).sum(axis=2)
    assert inside.any(), "the subject should be in the frame"
    outside_change = float(change[~inside].mean()) if (~inside).any() else 0.0
    return float(change[inside].mean()), outside_change


def test_the_prompt_suite_ships_with_its_licence_and_sources() -> None:
    folder = ROOT / "tests" / "data" / "vbench_prompts"
    assert "Apache License" in (folder / "LICENSE-VBench-Apache-2.0.txt").read_text()
    assert "vbench_prompts" in (ROOT / "tests" / "data" / "SOURCES.md").read_text()


def test_the_engine_draws_at_least_80_percent_of_the_suites_subject_nouns() -> None:
    bench = bench_module()
    suite = bench.load_suite()
    assert len(suite) == 100
    assert sum(len(item.nouns) for item in suite) >= 100
    coverage = bench.measure(suite)
    assert coverage.share >= 0.8, dict(coverage.missed)


@pytest.mark.parametrize(
    "prompt",
    [
        "a black dog running in a field",
        "a woman walking in the city",
        "a wooden house on a hill",
        "a train in the desert",
        "a flower in a meadow",
        "a birthday cake",
        "a bee flying over a meadow",
        "a ladybug on a leaf",
    ],
)
def test_a_subject_is_painted_where_it_stands(prompt: str) -> None:
    inside, outside = subject_difference(prompt)
    assert inside > 6.0, f"{prompt!r}: the subject barely shows ({inside:.1f})"
    assert inside > 3 * outside


@pytest.mark.parametrize("kind", sorted(LOOKS))
def test_every_catalogue_kind_is_drawn(kind: str) -> None:
    words = [w for w, (named, _) in CATALOGUE_WORDS.items() if named == kind]
    words += [f"jack o {w}" for w, (_, named) in QUALIFIED.items() if named == kind]
    word = words[0]
    scene = parse_prompt(f"a {word}", 1)
    assert kind in {subject.kind for subject in scene.subjects}
    assert word.split()[-1] in prompt_words(f"a {word}").drawn
    inside, _ = subject_difference(f"a {word}", 128, 72)
    assert inside > 6.0, f"{kind} barely shows ({inside:.1f})"


def test_the_red_fox_under_the_northern_lights_is_drawn_and_reported() -> None:
    scene = parse_prompt(FOX, 7)
    assert [subject.kind for subject in scene.subjects] == ["fox"]
    assert scene.subjects[0].color_given  # red, as asked
    assert {"forest", "snow", "aurora"} <= scene.settings
    words = ProceduralEngine.prompt_words(FOX)
    assert {"fox", "forest", "night", "northern lights"} <= set(words.drawn)
    assert words.not_drawn == ()
    inside, _ = subject_difference(FOX)
    assert inside > 12.0


def test_an_unknown_word_is_reported_as_not_drawn_and_nothing_stands_in() -> None:
    words = prompt_words("a zorblax running across a snowy hill at night")
    assert words.not_drawn == ("zorblax",)
    assert {"snowy", "hill", "night"} <= set(words.drawn)
    assert parse_prompt("a zorblax running across a snowy hill at night", 3).subjects == ()


def test_a_word_that_only_sometimes_names_a_subject_is_not_guessed() -> None:
    # A glass lid is no wine glass; a couple of birds are not two people.
    lid = "a plant on gold pot with glass lid"
    assert "glass" in prompt_words(lid).not_drawn
    assert {s.kind for s in parse_prompt(lid, 1).subjects} == {"plant"}
    assert "glass" in prompt_words("fake blood in a wine glass").drawn
    assert {s.kind for s in parse_prompt("a couple of birds", 1).subjects} == {"bird"}
    assert "lantern" in prompt_words("a jack o lantern").drawn
    assert "lantern" in prompt_words("a paper lantern").not_drawn


def test_a_colour_word_colours_the_subject() -> None:
    scene = parse_prompt("a blue house on a hill", 2)
    house = scene.subjects[0]
    assert house.kind == "house" and house.color_given
    assert house.color[2] > house.color[0] + 0.4


def test_groups_are_several_people() -> None:
    scene = parse_prompt("a family posing for the camera", 1)
    assert [(s.kind, s.count) for s in scene.subjects] == [("person", 4)]
    assert "family" in prompt_words("a family posing for the camera").drawn
