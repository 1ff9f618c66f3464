"""The terminal shows our lines and the progress bar, not the libraries' chatter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cli_helpers import run_cli

DATA = Path(__file__).resolve().parents[2] / "data"

# What mediapipe's TF Lite and absl C++ loggers and protobuf print before the progress
# bar when nothing quiets them.
NOISE = ("TensorFlow", "XNNPACK", "absl", "W0000", "feedback", "protobuf", "UserWarning")


def dance(tmp_path: Path, image: Path, reference: Path) -> tuple[int, str, str, Path]:
    target = tmp_path / "dance.mp4"
    result = run_cli(
        "dance",
        "--image",
        str(image),
        "--reference",
        str(reference),
        "-o",
        str(target),
        "--size",
        "128x128",
        "--max-seconds",
        "1",
        "--seed",
        "1",
        data_dir=tmp_path / "data",
    )
    return result.returncode, result.stdout, result.stderr, target


@pytest.mark.parametrize(
    "reference",
    [
        "SYNTHETIC_dance_moves_576.mp4",
        "squats_woman_720x1280_5fps.mp4",  # real footage
        "arms_and_knees_dance.bvh",  # a motion-capture file: `--reference dab.bvh`
    ],
)
def test_dance_prints_no_third_party_warnings(tmp_path: Path, reference: str) -> None:
    code, stdout, stderr, target = dance(
        tmp_path, DATA / "fullbody_yoga_beach.jpg", DATA / reference
    )
    assert code == 0, stderr
    assert target.is_file()
    assert "completed" in stderr  # the progress bar still shows
    assert "saved" in stdout
    shown = [word for word in NOISE if word in stderr + stdout]
    assert shown == [], stderr
    assert "withheld" not in stderr  # demoted to DEBUG: not at the default level


def test_our_own_errors_still_show(tmp_path: Path) -> None:
    empty = tmp_path / "beach.png"
    Image.fromarray(np.full((256, 256, 3), 200, np.uint8)).save(empty)
    code, _stdout, stderr, target = dance(tmp_path, empty, DATA / "SYNTHETIC_dance_moves_576.mp4")
    assert code != 0 and not target.exists()
    assert "no person found in the photo" in stderr
    assert [word for word in NOISE if word in stderr] == [], stderr
