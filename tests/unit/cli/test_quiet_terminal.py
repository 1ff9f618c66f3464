"""The terminal shows our lines and the progress bar, not the libraries' chatter."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import run_cli

DATA = Path(__file__).resolve().parents[2] / "data"

# What mediapipe's TF Lite and absl C++ loggers and protobuf print before the progress
# bar when nothing quiets them.
NOISE = ("TensorFlow", "XNNPACK", "absl", "W0000", "feedback", "protobuf", "UserWarning")


def test_dance_prints_no_third_party_warnings(tmp_path: Path) -> None:
    target = tmp_path / "dance.mp4"
    result = run_cli(
        "dance",
        "--image",
        str(DATA / "fullbody_yoga_beach.jpg"),
        "--reference",
        str(DATA / "SYNTHETIC_dance_moves_576.mp4"),
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
    assert result.returncode == 0, result.stderr
    assert target.is_file()
    assert "completed" in result.stderr  # the progress bar still shows
    shown = [word for word in NOISE if word in result.stderr]
    assert shown == [], result.stderr
    assert "withheld" not in result.stderr  # demoted to DEBUG: not at the default level
