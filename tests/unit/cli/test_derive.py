"""``reelvault remix`` and ``reelvault extend`` end to end, as a user runs them."""

from __future__ import annotations

import re
from pathlib import Path

import av
import numpy as np

from tests.cli_helpers import run_cli

SMALL = ["--seconds", "1", "--size", "320x180", "--fps", "12", "--seed", "7"]


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]


def _generate(tmp_path: Path, env: dict[str, str]) -> tuple[str, Path]:
    first = tmp_path / "boat.mp4"
    made = run_cli(
        "generate", "a boat on a calm sea at sunset", "-o", str(first), *SMALL,
        data_dir=tmp_path / "data", env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    found = re.search(r"job (job_[a-z0-9]+)", made.stdout.replace("\n", ""))
    assert found is not None, made.stdout
    return found.group(1), first


def test_remix_and_extend_a_finished_job(tmp_path: Path) -> None:
    env = {"REELVAULT_POLICY": "standard"}  # the source's prompt is kept
    job_id, first = _generate(tmp_path, env)
    night = tmp_path / "night.mp4"
    remixed = run_cli(
        "remix", job_id, "at night", "-o", str(night), data_dir=tmp_path / "data", env=env
    )
    assert remixed.returncode == 0, remixed.stderr
    assert f"saved {night}" in remixed.stdout.replace("\n", "")
    assert _frames(night)[0].mean() < _frames(first)[0].mean() - 10

    longer = tmp_path / "longer.mp4"
    extended = run_cli(
        "extend", job_id, "--seconds", "1", "-o", str(longer), data_dir=tmp_path / "data", env=env
    )
    assert extended.returncode == 0, extended.stderr
    frames = _frames(longer)
    assert len(frames) == 24
    assert len(_frames(first)) == 12


def test_extend_without_words_needs_the_source_prompt(tmp_path: Path) -> None:
    job_id, _ = _generate(tmp_path, {})  # ephemeral: prompts are not kept
    result = run_cli("extend", job_id, "-o", str(tmp_path / "x.mp4"), data_dir=tmp_path / "data")
    assert result.returncode != 0
    assert "say what should happen next" in result.stderr
    assert "Traceback" not in result.stderr
