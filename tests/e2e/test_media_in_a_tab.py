"""A finished video opened on its own (its URL in a tab) plays in Chromium's own viewer:
the Content-Security-Policy every API answer carries lets a media answer load itself,
and nothing else (the page fixture fails on any CSP violation)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import open_studio
from tests.e2e.helpers import make_text_video


def test_a_video_opened_in_a_tab_plays_under_its_policy(page: Any) -> None:
    open_studio(page)
    player = make_text_video(page)
    answer = page.goto(player["src"])
    assert answer is not None and answer.headers["content-type"] == "video/mp4"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.readyState >= 1; }",
        timeout=15_000,
    )
