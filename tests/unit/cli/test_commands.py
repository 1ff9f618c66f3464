"""The other commands: policy, jobs, keys, privacy, config, help."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import run_cli

PROMPT = "a paper boat on a rainy street"


def _generate(data: Path, target: Path, policy: str) -> str:
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
        "128x72",
        "--fps",
        "8",
        data_dir=data,
    )
    assert result.returncode == 0, result.stderr
    listing = run_cli("--policy", policy, "jobs", "list", "--json", data_dir=data)
    assert listing.returncode == 0, listing.stderr
    jobs = json.loads(listing.stdout)
    assert len(jobs) == 1
    return str(jobs[0]["id"])


def test_jobs_list_hides_prompts_unless_the_policy_keeps_them(tmp_path: Path) -> None:
    ephemeral = tmp_path / "e"
    _generate(ephemeral, tmp_path / "e.mp4", "ephemeral")
    listing = run_cli("jobs", "list", data_dir=ephemeral)
    assert "completed" in listing.stdout
    assert PROMPT not in listing.stdout
    assert "not kept" in listing.stdout

    standard = tmp_path / "s"
    job_id = _generate(standard, tmp_path / "s.mp4", "standard")
    listing = run_cli("--policy", "standard", "jobs", "show", job_id, data_dir=standard)
    assert json.loads(listing.stdout)["prompt"] == PROMPT


def test_keys_rotate_keeps_every_video_readable(tmp_path: Path) -> None:
    data = tmp_path / "d"
    original = tmp_path / "original.mp4"
    job_id = _generate(data, original, "library")
    key_before = (data / "master.key").read_bytes()
    rotated = run_cli("--policy", "library", "keys", "rotate", data_dir=data)
    assert rotated.returncode == 0, rotated.stderr
    assert "rewrapped" in rotated.stdout
    assert (data / "master.key").read_bytes() != key_before
    again = tmp_path / "again.mp4"
    exported = run_cli(
        "--policy", "library", "jobs", "export", job_id, "-o", str(again), data_dir=data
    )
    assert exported.returncode == 0, exported.stderr
    assert again.read_bytes() == original.read_bytes()


def test_jobs_delete_and_missing_job(tmp_path: Path) -> None:
    data = tmp_path / "d"
    job_id = _generate(data, tmp_path / "v.mp4", "library")
    deleted = run_cli("--policy", "library", "jobs", "delete", job_id, data_dir=data)
    assert deleted.returncode == 0
    # library keeps the (redacted) prompt too: prompt, video, thumbnail, sprite sheet go
    assert "4 encrypted object(s) shredded" in deleted.stdout
    missing = run_cli("--policy", "library", "jobs", "show", job_id, data_dir=data)
    assert missing.returncode == 1
    assert f"error: no job {job_id}" in missing.stderr


def test_policy_show_and_render(tmp_path: Path) -> None:
    shown = run_cli("--policy", "standard", "policy", "show", data_dir=tmp_path)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["name"] == "standard"
    assert "prompt" in data["data_classes"]
    markdown = run_cli("policy", "render", "--format", "markdown", data_dir=tmp_path)
    assert markdown.returncode == 0
    assert markdown.stdout.startswith("#")
    html_file = tmp_path / "privacy.html"
    rendered = run_cli("policy", "render", "-f", "html", "-o", str(html_file), data_dir=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    assert html_file.read_text().lstrip().lower().startswith("<!doctype html>")
    bad = run_cli("policy", "render", "--format", "pdf", data_dir=tmp_path)
    assert bad.returncode == 2  # usage error from the command line parser


def test_privacy_sweep_and_config_show(tmp_path: Path) -> None:
    swept = run_cli("privacy", "sweep", data_dir=tmp_path)
    assert swept.returncode == 0, swept.stderr
    assert "0 object(s) shredded" in swept.stdout
    shown = run_cli("config", "show", data_dir=tmp_path, env={"REELVAULT_MASTER_KEY": "x" * 44})
    assert json.loads(shown.stdout)["master_key"] == "**********"


def test_help_texts_describe_every_command(tmp_path: Path) -> None:
    top = run_cli("--help", data_dir=tmp_path)
    for command in ("generate", "policy", "jobs", "keys", "privacy", "worker", "engines"):
        assert command in top.stdout
    engines = run_cli("engines", data_dir=tmp_path)
    assert "procedural" in engines.stdout
    text = " ".join(engines.stdout.split())
    assert "no neural model" in text
    assert "camera" in text and "pan-left" in text  # parameters are listed with choices
    assert "=<>" not in text  # every parameter shows its type, optional ones included
    assert "steps=<integer|null>" in text


def test_global_options_work_after_the_command(tmp_path: Path) -> None:
    after = run_cli("policy", "show", "--policy", "ephemeral", data_dir=tmp_path)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["name"] == "ephemeral"
    equals = run_cli("policy", "show", "--policy=library", data_dir=tmp_path)
    assert json.loads(equals.stdout)["name"] == "library"
    other = tmp_path / "elsewhere"
    swept = run_cli("privacy", "sweep", "--data-dir", str(other), data_dir=tmp_path)
    assert swept.returncode == 0, swept.stderr
    assert (other / "reelvault.db").exists()


def test_privacy_requests_are_one_group_and_the_old_names_still_answer(tmp_path: Path) -> None:
    group = run_cli("privacy", "requests", "--help", data_dir=tmp_path)
    text = " ".join(group.stdout.split())
    assert all(name in text for name in ("new", "list", "verify"))
    listed = run_cli("privacy", "requests", "--json", data_dir=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []
    assert (
        json.loads(run_cli("privacy", "requests", "list", "--json", data_dir=tmp_path).stdout) == []
    )
    old = run_cli("privacy", "verify", "--help", data_dir=tmp_path)  # hidden, for old scripts
    assert old.returncode == 0 and "requester" in old.stdout


def test_worker_refuses_an_engine_that_is_not_installed(tmp_path: Path) -> None:
    refused = run_cli("worker", "--engines", "procedural,warp-drive", data_dir=tmp_path)
    assert refused.returncode == 1
    assert "warp-drive" in refused.stderr and "installed: " in refused.stderr
    assert "--no-workers" in run_cli("serve", "--help", data_dir=tmp_path).stdout
