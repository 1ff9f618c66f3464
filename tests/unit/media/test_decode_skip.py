"""Decoding from a later frame: what a second pose tracker reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reelvault.media.decode import iter_video_frames

CLIP = Path(__file__).parents[2] / "data" / "squats_woman_720x1280_5fps.mp4"


def test_skipped_frames_are_not_yielded_and_the_rest_are_the_same() -> None:
    whole = list(iter_video_frames(CLIP, fps=10, size=(90, 160), max_frames=30))
    tail = list(iter_video_frames(CLIP, fps=10, size=(90, 160), max_frames=30, skip_frames=12))
    assert len(whole) == 30 and len(tail) == 18  # max_frames counts the skipped ones
    assert all(np.array_equal(a, b) for a, b in zip(whole[12:], tail, strict=True))


def test_skipping_at_the_source_rate_and_past_the_end() -> None:
    whole = list(iter_video_frames(CLIP, size=(90, 160)))
    assert [f.shape for f in iter_video_frames(CLIP, size=(90, 160), skip_frames=60)] == [
        f.shape for f in whole[60:]
    ]
    assert list(iter_video_frames(CLIP, size=(90, 160), skip_frames=len(whole) + 5)) == []
