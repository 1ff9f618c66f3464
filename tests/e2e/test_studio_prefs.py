"""Preferences stay in the browser: kept across reloads, sent only inside a generation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.conftest import open_studio
from tests.e2e.helpers import choose, wait_for_video


def test_preferences_persist_and_travel_only_with_a_generation(page: Any) -> None:
    sent: list[tuple[str, str, str]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data or "")))
    open_studio(page)
    page.select_option("#engine", "procedural")
    choose(page, size="256x144", seconds="1.5")

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.input_value("#engine") == "procedural"
    assert page.input_value("#size") == "256x144"
    assert page.input_value("#seconds") == "1.5"
    stored = json.loads(page.evaluate("localStorage.getItem('reelvault.prefs')"))
    assert stored["size"] == "256x144" and stored["seconds"] == 1.5
    assert stored["engines"]["text_to_video"] == "procedural"
    before = list(sent)

    page.fill("#prompt", "snow falling on a quiet forest")
    page.click("#generate")
    wait_for_video(page)

    generations = [s for s in sent if s[0] == "POST" and s[1].endswith("/api/v1/jobs")]
    assert len(generations) == 1
    body = json.loads(generations[0][2])
    assert (body["size"], body["seconds"], body["engine"]) == ("256x144", 1.5, "procedural")
    for method, url, data in sent:
        if (method, url, data) == generations[0]:
            continue
        assert "256x144" not in url + data and "reelvault.prefs" not in url + data, url
    # Before the generation, the preferences never left the browser at all.
    assert all(not data for _, _, data in before)
    cookies = page.context.cookies()
    assert all("256x144" not in cookie["value"] for cookie in cookies)


def test_preferences_export_and_import_as_json(page: Any, tmp_path: Path) -> None:
    open_studio(page)
    choose(page, size="320x180", seconds="2")
    page.goto("/privacy-centre")
    page.wait_for_selector("body[data-ready=true]")
    assert '"320x180"' in page.inner_text("#prefs-view")
    with page.expect_download() as caught:
        page.click("#prefs-export")
    saved = tmp_path / "prefs.json"
    caught.value.save_as(saved)
    exported = json.loads(saved.read_text())
    assert exported["size"] == "320x180" and exported["seconds"] == 2

    page.click("#prefs-clear")
    assert page.inner_text("#prefs-view") == "Nothing stored yet."
    page.set_input_files("#prefs-import", str(saved))
    page.wait_for_function(
        "() => document.getElementById('prefs-status').textContent.includes('imported')"
    )
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    assert page.input_value("#size") == "320x180"
    assert page.input_value("#seconds") == "2"
