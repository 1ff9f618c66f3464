"""The procedural engine: deterministic, reacts to the prompt, smooth, lazy, cancellable."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reelvault.engines.base import EngineParams, GenerationRequest, parse_params
from reelvault.engines.procedural import ProceduralEngine, ProceduralParams
from reelvault.engines.procedural.scene import parse_prompt
from reelvault.engines.procedural.vocabulary import SUBJECTS
from reelvault.engines.registry import load_registry
from reelvault.errors import JobCancelledError, ValidationError
from reelvault.media import encode_h264, probe_video
from reelvault.types import Task

BALLOON = "a red balloon over a calm sea at sunset"
CAR = "a green car driving through a snowy city at night"


def request(
    tmp_path: Path,
    prompt: str = BALLOON,
    *,
    seed: int = 7,
    width: int = 160,
    height: int = 96,
    fps: int = 12,
    seconds: float = 1.0,
    params: EngineParams | None = None,
) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_VIDEO,
        width=width,
        height=height,
        fps=fps,
        seconds=seconds,
        seed=seed,
        scratch_dir=tmp_path,
        prompt=prompt,
        params=params or ProceduralParams(),
    )


def no_progress(fraction: float, stage: str) -> None:
    pass


def render(tmp_path: Path, prompt: str = BALLOON, **kwargs: Any) -> list[np.ndarray]:
    video = ProceduralEngine().run(request(tmp_path, prompt, **kwargs), no_progress)
    return list(video.frames)


def test_engine_declares_itself() -> None:
    engine = ProceduralEngine()
    assert engine.name == "procedural"
    assert engine.tasks == frozenset({Task.TEXT_TO_VIDEO})
    assert engine.device == "cpu" and engine.runs_locally
    assert "without" in engine.description or "no neural model" in engine.description
    assert engine.params_model is ProceduralParams
    assert load_registry(include_entry_points=False).get("procedural").name == "procedural"


def test_frames_have_the_asked_shape(tmp_path: Path) -> None:
    video = ProceduralEngine().run(request(tmp_path, seconds=1.0), no_progress)
    assert (video.frame_count, video.fps, video.width, video.height) == (12, 12, 160, 96)
    frames = list(video.frames)
    assert len(frames) == 12
    for frame in frames:
        assert frame.shape == (96, 160, 3)
        assert frame.dtype == np.uint8


def test_same_prompt_and_seed_give_identical_frames(tmp_path: Path) -> None:
    first = render(tmp_path)
    second = render(tmp_path)
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)


def test_a_different_seed_gives_a_different_video(tmp_path: Path) -> None:
    a = render(tmp_path, seed=1)
    b = render(tmp_path, seed=2)
    assert not np.array_equal(a[0], b[0])


def test_different_prompts_look_clearly_different(tmp_path: Path) -> None:
    balloon = np.stack(render(tmp_path, BALLOON)).reshape(-1, 3).mean(axis=0)
    car = np.stack(render(tmp_path, CAR)).reshape(-1, 3).mean(axis=0)
    assert np.abs(balloon - car).sum() > 60  # warm sunset vs dark night, 0-255 scale
    assert balloon[0] > car[0] + 40  # the sunset is much redder


def strongly_red(frame: np.ndarray) -> int:
    r, g, b = (frame[..., i].astype(int) for i in range(3))
    return int(((r > 140) & (g < 60) & (b < 70)).sum())


def test_the_colour_word_shows_up(tmp_path: Path) -> None:
    red = render(
        tmp_path, BALLOON, width=320, height=180, seconds=0.5, params=ProceduralParams(grain=0)
    )
    blue = render(
        tmp_path,
        BALLOON.replace("red", "blue"),
        width=320,
        height=180,
        seconds=0.5,
        params=ProceduralParams(grain=0),
    )
    assert strongly_red(red[0]) > 300
    assert strongly_red(blue[0]) < strongly_red(red[0]) / 10


def test_frames_move_smoothly(tmp_path: Path) -> None:
    frames = [f.astype(np.float32) for f in render(tmp_path, CAR, seconds=2.0)]
    overall = np.abs(frames[-1] - frames[0]).mean()
    steps = [np.abs(b - a).mean() for a, b in itertools.pairwise(frames)]
    assert overall > 4.0
    assert max(steps) < overall
    assert max(steps) < 12.0


@pytest.mark.parametrize(
    "prompt",
    [
        BALLOON,
        CAR,
        "three birds flying over the mountains",
        "an orange fish swimming",
        "a dragon in the desert at dusk",
        "a white ship on a stormy ocean in the rain",
        "a yellow kite over a forest",
        "a golden star spinning in space",
        "a hot air balloon rising over green hills",
        "a pink shape bouncing",
        "the moon",
        "the sun over a beach",
        "zzz",
    ],
)
def test_no_frame_is_blank(tmp_path: Path, prompt: str) -> None:
    for frame in render(tmp_path, prompt, seconds=0.5):
        assert frame.std() > 8.0


@pytest.mark.parametrize("kind", sorted(set(SUBJECTS.values())))
def test_every_subject_the_vocabulary_knows_is_drawn(tmp_path: Path, kind: str) -> None:
    word = next(word for word, named in SUBJECTS.items() if named == kind)
    assert kind in {subject.kind for subject in parse_prompt(f"a {word} in the rain", 1).subjects}
    frames = render(tmp_path, f"a {word} in the rain", seconds=0.5)
    assert all(frame.std() > 8.0 for frame in frames)


@pytest.mark.parametrize("camera", ["static", "pan-left", "pan-right", "push-in", "pull-out"])
@pytest.mark.parametrize("style", ["flat", "soft"])
def test_every_camera_and_style_renders(tmp_path: Path, camera: str, style: str) -> None:
    params = ProceduralParams(camera=camera, style=style, grain=0.5)  # type: ignore[arg-type]
    frames = render(tmp_path, "boats on a lake below mountains", seconds=0.5, params=params)
    assert len(frames) == 6 and all(f.std() > 8.0 for f in frames)


def test_progress_is_monotonic_and_ends_at_one(tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    video = ProceduralEngine().run(
        request(tmp_path), lambda fraction, stage: seen.append((fraction, stage))
    )
    assert seen == []  # lazy: nothing rendered before iteration
    frames = list(video.frames)
    fractions = [fraction for fraction, _ in seen]
    assert len(fractions) == len(frames)
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert {stage for _, stage in seen} == {"rendering"}


def test_cancelling_from_progress_stops_iteration(tmp_path: Path) -> None:
    calls = 0

    def progress(fraction: float, stage: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise JobCancelledError("cancelled")

    video = ProceduralEngine().run(request(tmp_path, seconds=2.0), progress)
    taken = []
    with pytest.raises(JobCancelledError):
        for frame in video.frames:
            taken.append(frame)
    assert len(taken) == 2
    assert calls == 3


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"width": 32}, "size"),
        ({"width": 4000}, "size"),
        ({"height": 2000}, "size"),
        ({"width": 161}, "size"),
        ({"fps": 0}, "fps"),
        ({"fps": 120}, "fps"),
        ({"seconds": 0.1}, "seconds"),
        ({"seconds": 30.0}, "seconds"),
    ],
)
def test_limits_are_checked(tmp_path: Path, changes: dict[str, Any], param: str) -> None:
    with pytest.raises(ValidationError) as info:
        ProceduralEngine().run(request(tmp_path, **changes), no_progress)
    assert info.value.param == param


def test_params_are_parsed_strictly() -> None:
    engine = ProceduralEngine()
    parsed = parse_params(engine, {"camera": "push-in", "style": "flat", "grain": 0.5})
    assert parsed == ProceduralParams(camera="push-in", style="flat", grain=0.5)
    with pytest.raises(ValidationError) as info:
        parse_params(engine, {"zoom": 2})
    assert info.value.param == "zoom"
    with pytest.raises(ValidationError):
        parse_params(engine, {"grain": 1.5})
    with pytest.raises(ValidationError):
        parse_params(engine, {"camera": "orbit"})


def test_foreign_params_and_missing_prompt_are_refused(tmp_path: Path) -> None:
    class OtherParams(EngineParams):
        strength: float = 1.0

    with pytest.raises(ValidationError, match="ProceduralParams"):
        ProceduralEngine().run(request(tmp_path, params=OtherParams()), no_progress)
    with pytest.raises(ValidationError, match="prompt"):
        ProceduralEngine().run(request(tmp_path, prompt="   "), no_progress)
    # The base EngineParams (the request default) means "all defaults".
    video = ProceduralEngine().run(request(tmp_path, params=EngineParams()), no_progress)
    assert next(video.frames).shape == (96, 160, 3)


def test_the_prompt_never_reaches_an_error_message(tmp_path: Path) -> None:
    secret = "my secret diary entry about a red balloon"
    with pytest.raises(ValidationError) as info:
        ProceduralEngine().run(request(tmp_path, secret, fps=500), no_progress)
    assert "diary" not in str(info.value)
    assert "diary" not in repr(request(tmp_path, secret))


def test_scene_reacts_to_words() -> None:
    balloon = parse_prompt(BALLOON, 1)
    assert balloon.time == "sunset"
    assert balloon.has("water")
    assert [(s.kind, s.color_given) for s in balloon.subjects] == [("balloon", True)]
    assert balloon.subjects[0].color[0] > 0.7 > balloon.subjects[0].color[1] + 0.5

    car = parse_prompt(CAR, 1)
    assert car.time == "night"
    assert {"city", "snow"} <= car.settings
    assert car.subjects[0].kind == "car" and car.subjects[0].motion == "drive"
    assert car.subjects[0].color[1] > car.subjects[0].color[0]

    birds = parse_prompt("three birds flying over the mountains", 1)
    assert birds.subjects[0].count == 3 and birds.subjects[0].motion == "fly"

    unknown = parse_prompt("a dragon over the hills", 1)
    assert unknown.subjects == () and "hills" in unknown.settings  # no stand-in for a dragon
    assert parse_prompt("a pink ball bouncing", 1).subjects[0].kind == "shape"
    assert parse_prompt("a calm sea", 1).subjects[0].kind == "boat"
    assert parse_prompt("a camera panning over hills", 1).camera in ("pan-left", "pan-right")


def test_end_to_end_render_encode_probe(tmp_path: Path) -> None:
    video = ProceduralEngine().run(
        request(tmp_path, CAR, width=320, height=180, fps=12, seconds=2.0), no_progress
    )
    path = tmp_path / "out.mp4"
    encoded = encode_h264(
        video.frames, path, fps=video.fps, width=video.width, height=video.height, preset="veryfast"
    )
    assert encoded.frame_count == 24
    info = probe_video(path)
    assert (info.width, info.height) == (320, 180)
    assert info.fps == pytest.approx(12.0)
    assert info.frame_count == 24
    assert info.duration_seconds == pytest.approx(2.0, abs=0.01)
    assert info.codec == "h264"


def test_a_subject_it_cannot_draw_is_left_out_not_replaced() -> None:
    # Seen by a user: the fox became a red ringed planet and the northern lights were
    # missing. A subject it cannot draw (the fox is drawn now: a made-up word stands for
    # one it cannot) is left out; the scene around it is drawn, nothing stands in for it.
    scene = parse_prompt(
        "a red zorblax running through a snowy forest at night under the northern lights", 7
    )
    assert scene.subjects == ()
    assert {"forest", "snow", "aurora"} <= scene.settings
    assert scene.time == "night"
    for prompt in ("the aurora borealis over a lake", "southern lights above the mountains"):
        assert "aurora" in parse_prompt(prompt, 1).settings
        assert parse_prompt(prompt, 1).time == "night"  # an aurora is seen at night
    assert "aurora" not in parse_prompt("the lights of a city at night", 1).settings


def test_northern_lights_are_drawn_green_in_the_sky_and_ripple(tmp_path: Path) -> None:
    with_aurora = render(tmp_path, "a snowy forest at night under the northern lights", seconds=2)
    without = render(tmp_path, "a snowy forest at night", seconds=2)
    sky = slice(0, 40)  # the upper rows of a 96-row frame: above the forest

    def greenness(frames: list[np.ndarray]) -> float:
        pixels = np.stack(frames)[:, sky].astype(np.float32)
        return float((pixels[..., 1] - pixels[..., 0]).mean())

    assert greenness(with_aurora) > greenness(without) + 8
    first, last = (frame[sky].astype(np.int16) for frame in (with_aurora[0], with_aurora[-1]))
    assert np.abs(first - last).mean() > 1.0  # the curtains move
