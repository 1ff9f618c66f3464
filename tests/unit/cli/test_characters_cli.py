"""``reelvault characters`` and ``--character`` / ``@Name``, end to end as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import av

from tests.cli_helpers import run_cli

DATA = Path(__file__).parents[2] / "data"
PHOTO = DATA / "fullbody_yoga_beach.jpg"
BVH = DATA / "arms_and_knees_dance.bvh"
ENV = {"REELVAULT_POLICY": "standard"}  # the ephemeral default keeps no characters


def _frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(container.streams.video[0]))


def test_create_use_by_name_dance_and_remove(tmp_path: Path) -> None:
    data = tmp_path / "data"

    def cli(*args: str) -> tuple[int, str, str]:
        done = run_cli(*args, data_dir=data, env=ENV)
        return done.returncode, done.stdout.replace("\n", " "), done.stderr

    code, out, err = cli("characters", "create", "Mira Vell", str(PHOTO))
    assert code != 0 and "likeness_affirmed" in err  # the affirmation is asked for first
    code, out, err = cli("characters", "create", "Mira Vell", str(PHOTO), "--likeness-affirmed")
    assert code == 0, err
    assert "saved character char_" in out
    code, out, _ = cli("characters", "list", "--json")
    listed = json.loads(out)
    assert [item["name"] for item in listed] == ["Mira Vell"]

    still = tmp_path / "still.mp4"
    code, out, err = cli(
        "generate", "@Mira Vell looks around", "-o", str(still),
        "--seconds", "1", "--size", "160x96", "--fps", "8",
    )  # fmt: skip
    assert code == 0, err
    assert _frames(still) == 8

    dancing = tmp_path / "dance.mp4"
    code, out, err = cli(
        "dance", "--character", "mira vell", "--reference", str(BVH), "-o", str(dancing),
        "--size", "128x128", "--max-seconds", "1",
    )  # fmt: skip
    assert code == 0, err
    assert _frames(dancing) > 0

    code, out, err = cli("characters", "rm", "Mira Vell")
    assert code == 0 and "deleted character" in out, err
    code, out, _ = cli("characters", "--json")
    assert json.loads(out) == []
    code, out, err = cli(
        "generate", "x", "--character", "Mira Vell", "-o", str(tmp_path / "no.mp4")
    )
    assert code != 0 and "no character" in err and "Traceback" not in err
