"""``reelvault generate`` end to end, and its errors: one line, non-zero exit, nothing left."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from reelvault.config import default_scratch_root
from tests.cli_helpers import run_cli


def test_generate_writes_the_video_that_was_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "balloon.mp4"
    result = run_cli(
        "generate",
        "a red balloon drifting over a calm sea at sunset",
        "-o",
        str(target),
        "--seconds",
        "2",
        "--size",
        "320x180",
        "--fps",
        "12",
        "--seed",
        "7",
        data_dir=tmp_path / "data",
    )
    assert result.returncode == 0, result.stderr
    assert f"saved {target}" in result.stdout.replace("\n", "")
    assert "service copy" in result.stdout and "UTC" in result.stdout
    assert "Traceback" not in result.stderr
    with av.open(str(target)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (320, 180)
        assert stream.average_rate == 12
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        duration = float(container.duration or 0) / 1_000_000
    assert len(frames) == 24
    assert duration == pytest.approx(2.0, abs=0.1)
    first, last = frames[0].astype(np.int16), frames[-1].astype(np.int16)
    assert np.abs(first - last).mean() > 1.0, "frames should change over time"
    # A second look: nothing personal or plaintext is left in scratch space.
    scratch = default_scratch_root(tmp_path / "data")
    assert not scratch.exists() or list(scratch.iterdir()) == []
    # A fresh install signs its outputs: the development certificate was made on first
    # use, and says it is not trusted.
    verified = run_cli("provenance", "verify", str(target), "--json", data_dir=tmp_path / "data")
    assert verified.returncode == 0, verified.stderr
    report = json.loads(verified.stdout)
    assert report["manifest"] == "valid"
    assert report["digital_source_type"].endswith("algorithmicMedia")
    assert report["trusted"] is False
    assert report["watermark_found"] is True and report["ai_generated"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["   "], "error: the prompt is empty"),
        (["a cat", "--size", "640by360"], "error: size '640by360' is not WIDTHxHEIGHT"),
        (["a cat", "--size", "641x360"], "must be even"),
        (["a cat", "--fps", "500"], "error: fps 500 is out of range"),
        (["a cat", "--seconds", "0"], "error: seconds 0 is out of range"),
        (["a cat", "--engine", "nope"], "error: unknown engine 'nope'"),
        (["a cat", "--param", "camera=sideways"], "error: engine procedural: parameter camera"),
        (["a cat", "--param", "oops"], "error: --param 'oops' is not key=value"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    target = tmp_path / "out.mp4"
    result = run_cli("generate", *args[:1], "-o", str(target), *args[1:], data_dir=tmp_path / "d")
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()


def test_unwritable_output_paths(tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    result = run_cli("generate", "a cat", "-o", str(a_file / "out.mp4"), data_dir=tmp_path / "d")
    assert result.returncode == 1
    assert "error: cannot create folder" in result.stderr
    result = run_cli("generate", "a cat", "-o", str(tmp_path), data_dir=tmp_path / "d")
    assert result.returncode == 1
    assert "is a directory" in result.stderr
    result = run_cli("generate", "a cat", "-o", str(tmp_path / "x.gif"), data_dir=tmp_path / "d")
    assert "must end in .mp4" in result.stderr


def test_too_long_prompt_uses_the_setting(tmp_path: Path) -> None:
    result = run_cli(
        "generate",
        "a" * 30,
        "-o",
        str(tmp_path / "o.mp4"),
        data_dir=tmp_path / "d",
        env={"REELVAULT_MAX_PROMPT_CHARS": "20"},
    )
    assert result.returncode == 1
    assert "the prompt has 30 characters; the limit is 20" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REELVAULT_MASTER_KEY": "dG9vIHNob3J0"}, "REELVAULT_MASTER_KEY"),
        ({"REELVAULT_WORKERS": "zero"}, "invalid setting workers"),
        ({"REELVAULT_POLICY": "nonexistent"}, "nonexistent"),
    ],
)
def test_bad_settings_stop_with_a_message(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = run_cli("generate", "a cat", "-o", str(tmp_path / "o.mp4"), data_dir=tmp_path, env=env)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_key_file_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir(mode=0o700)
    key_file = data / "master.key"
    key_file.write_text("not a key file")
    key_file.chmod(0o600)
    result = run_cli("generate", "a cat", "-o", str(tmp_path / "o.mp4"), data_dir=data)
    assert result.returncode == 1
    assert "master.key" in result.stderr
    assert "Traceback" not in result.stderr


def test_generate_ends_with_the_words_it_drew_and_those_it_could_not(tmp_path: Path) -> None:
    result = run_cli(
        "generate",
        "a red fox running through a snowy forest at night under the northern lights, "
        "and a zorblax",
        "-o",
        str(tmp_path / "fox.mp4"),
        "--seconds",
        "0.5",
        "--size",
        "160x90",
        "--fps",
        "8",
        data_dir=tmp_path / "data",
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-2:]
    assert last[0] == "drawn: fox, snowy, forest, night, northern lights"
    assert last[1] == "not drawn (not understood, left out): zorblax"
