"""The optional visible label."""

from __future__ import annotations

import numpy as np

from reelvault.media.provenance import apply_label, label_text


def test_label_setting() -> None:
    assert label_text("off") is None
    assert label_text("on") == "AI-generated"
    assert label_text("Made with AI") == "Made with AI"


def test_label_marks_the_bottom_right_corner_only() -> None:
    frame = np.full((360, 640, 3), 128, np.uint8)
    labelled = apply_label(frame, "AI-generated")
    changed = np.argwhere((labelled != frame).any(axis=2))
    assert len(changed) > 200
    assert changed[:, 0].min() > 300 and changed[:, 1].min() > 400
    assert (frame == 128).all()  # the input frame is untouched


def test_label_on_a_tiny_frame_does_not_fail() -> None:
    assert apply_label(np.zeros((16, 16, 3), np.uint8), "AI-generated").shape == (16, 16, 3)
