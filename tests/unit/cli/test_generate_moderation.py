"""``reelvault generate`` goes through the same screening as the APIs (issue 22)."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import run_cli

FACE = Path(__file__).parents[2] / "data" / "portrait_astronaut_256.jpg"


def test_a_blocked_prompt_is_refused_by_category_and_nothing_is_written(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    result = run_cli("generate", "a nude t33n", "-o", str(target), data_dir=tmp_path / "d")
    assert result.returncode != 0
    assert "category: minors" in result.stderr
    assert "t33n" not in result.stderr + result.stdout and "nude" not in result.stderr
    assert not target.exists()


def test_a_face_needs_the_affirmation_flag(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    common = ["--image", str(FACE), "--seconds", "0.5", "--size", "128x128", "--fps", "8"]
    refused = run_cli("generate", "-o", str(target), *common, data_dir=tmp_path / "d")
    assert refused.returncode != 0
    assert "likeness_affirmed" in refused.stderr and "permission" in refused.stderr
    affirmed = run_cli(
        "generate", "-o", str(target), *common, "--likeness-affirmed", data_dir=tmp_path / "d"
    )
    assert affirmed.returncode == 0, affirmed.stderr
    assert target.is_file()
