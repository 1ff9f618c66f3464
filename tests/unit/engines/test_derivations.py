"""What the embedded engines make from an earlier video: remix scenes, extensions, words."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from reelvault.engines.base import Derivation, GenerationRequest
from reelvault.engines.livephoto.engine import LivePhotoEngine, LivePhotoParams
from reelvault.engines.livephoto.words import camera_words
from reelvault.engines.procedural.engine import ProceduralEngine, ProceduralParams
from reelvault.engines.procedural.remix import remix_scene
from reelvault.engines.procedural.scene import parse_prompt
from reelvault.engines.puppet.engine import PuppetParams, _params
from reelvault.types import Task

SOURCE = "a red balloon over a calm sea at sunset"


def test_a_remix_changes_what_the_new_prompt_names_and_keeps_the_rest() -> None:
    base = parse_prompt(SOURCE, 7)
    night = remix_scene(SOURCE, "the same scene at night", 7)
    assert night.time == "night" and base.time == "sunset"
    assert (night.variant, night.camera, night.direction) == (
        base.variant,
        base.camera,
        base.direction,
    )
    assert night.subjects == base.subjects and "water" in night.settings
    assert "stars" in night.settings

    blue = remix_scene(SOURCE, "a blue balloon and a boat, in the rain", 7)
    balloon, boat = blue.subjects
    assert balloon.kind == "balloon" and balloon.color[2] > balloon.color[0]  # now blue
    assert boat.kind == "boat"  # joined the scene
    assert "rain" in blue.settings and blue.time == base.time

    snow = remix_scene("boats on a rainy lake", "now it is snowing", 7)
    assert "snow" in snow.settings and "rain" not in snow.settings  # weather replaced


def test_without_the_source_prompt_the_new_prompt_stands_alone_on_the_same_seed() -> None:
    assert remix_scene(None, "boats at night", 3) == parse_prompt("boats at night", 3)


def _request(tmp_path: Path, seconds: float, **lineage: object) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_VIDEO,
        width=320,
        height=180,
        fps=12,
        seconds=seconds,
        seed=11,
        scratch_dir=tmp_path,
        params=ProceduralParams(grain=0),  # grain changes every frame: it would hide a jump
        prompt="a red balloon over a calm sea, the camera panning",
        **lineage,  # type: ignore[arg-type]
    )


def test_an_extension_renders_on_along_the_source_timeline(tmp_path: Path) -> None:
    engine = ProceduralEngine()
    noop = lambda fraction, stage: None  # noqa: E731
    source = list(engine.run(_request(tmp_path, 2), noop).frames)
    more = engine.run(
        _request(
            tmp_path,
            3,
            derivation=Derivation.EXTENSION,
            source_prompt="a red balloon over a calm sea, the camera panning",
            start_frame=24,
            timeline_frames=24,
        ),
        noop,
    )
    added = list(more.frames)
    assert more.frame_count == len(added) == 12
    steps = [
        float(np.mean(np.abs(b.astype(np.int16) - a.astype(np.int16))))
        for a, b in itertools.pairwise(source)
    ]
    seam = float(np.mean(np.abs(added[0].astype(np.int16) - source[-1].astype(np.int16))))
    assert seam <= max(steps)


def test_livephoto_reads_camera_words() -> None:
    assert camera_words("a slow push in on her face") == ("push-in", 0.45)
    assert camera_words("pan left, dramatic") == ("pan-left", 0.9)
    assert camera_words("orbit around him") == ("orbit", None)
    assert camera_words("keep the camera still") == ("none", None)
    assert camera_words("at night") == (None, None)


def test_puppet_remix_words_change_its_options(tmp_path: Path) -> None:
    def params(prompt: str, derivation: Derivation | None) -> PuppetParams:
        request = GenerationRequest(
            task=Task.DANCE,
            width=64,
            height=64,
            fps=12,
            seconds=1,
            seed=1,
            scratch_dir=tmp_path,
            prompt=prompt,
            params=PuppetParams(),
            derivation=derivation,
        )
        return _params(request)

    assert params("mirrored, side by side", Derivation.REMIX).mirror is True
    assert params("mirrored, side by side", Derivation.REMIX).side_by_side is True
    assert params("in the reference's room", Derivation.EDIT).background == "reference"
    assert params("mirrored", None) == PuppetParams()  # a new dance takes its params as given


PHOTO = Path(__file__).parents[2] / "data" / "fullbody_yoga_beach.jpg"


def _steps(frames: list[np.ndarray]) -> list[float]:
    return [
        float(np.mean(np.abs(b.astype(np.int16) - a.astype(np.int16))))
        for a, b in itertools.pairwise(frames)
    ]


def test_livephoto_extension_continues_the_camera_path(tmp_path: Path) -> None:
    engine = LivePhotoEngine()

    def request(seconds: float, **lineage: object) -> GenerationRequest:
        return GenerationRequest(
            task=Task.IMAGE_TO_VIDEO,
            width=320,
            height=180,
            fps=12,
            seconds=seconds,
            seed=4,
            scratch_dir=tmp_path,
            params=LivePhotoParams(motion="pan-left", strength=1.0),
            inputs={"image": PHOTO},
            **lineage,  # type: ignore[arg-type]
        )

    noop = lambda fraction, stage: None  # noqa: E731
    source = list(engine.run(request(1.5), noop).frames)
    more = engine.run(
        request(3, derivation=Derivation.EXTENSION, start_frame=18, timeline_frames=18), noop
    )
    added = list(more.frames)
    assert more.frame_count == len(added) == 18
    seam = _steps([source[-1], added[0]])[0]
    assert seam <= max(_steps(source))


def test_livephoto_remix_takes_the_new_camera_words(tmp_path: Path) -> None:
    engine = LivePhotoEngine()

    def frames(prompt: str, derivation: Derivation | None) -> list[np.ndarray]:
        request = GenerationRequest(
            task=Task.IMAGE_TO_VIDEO,
            width=320,
            height=180,
            fps=12,
            seconds=1,
            seed=4,
            scratch_dir=tmp_path,
            prompt=prompt,
            params=LivePhotoParams(motion="pan-left", strength=1.0),
            inputs={"image": PHOTO},
            derivation=derivation,
        )
        return list(engine.run(request, lambda fraction, stage: None).frames)

    moving = frames("keep the camera still", None)  # a new video: its params decide
    still = frames("keep the camera still", Derivation.REMIX)
    assert sum(_steps(still)) < sum(_steps(moving)) / 2


def test_a_remix_verb_moves_the_subject_it_names() -> None:
    rising = remix_scene(SOURCE, "the balloon rises", 7)
    assert rising.subjects[0].motion == "rise"
    assert rising.subjects[0].color == parse_prompt(SOURCE, 7).subjects[0].color
