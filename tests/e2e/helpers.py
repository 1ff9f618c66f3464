"""Steps the browser tests share: make a video through the page, read the player."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import DATA

DANCE_PHOTO = DATA / "fullbody_yoga_beach.jpg"
DANCE_VIDEO = DATA / "SYNTHETIC_dance_moves_576.mp4"


def choose(page: Any, *, size: str, seconds: str, fps: str | None = None) -> None:
    page.select_option("#size", size)
    page.fill("#seconds", seconds)
    page.dispatch_event("#seconds", "change")
    if fps is not None:
        page.select_option("#fps", fps)


def wait_for_video(page: Any, timeout: float = 60_000) -> dict[str, Any]:
    """Wait until the result plays; returns the player's state and the job."""
    page.wait_for_selector("#job-result:not([hidden])", timeout=timeout)
    page.wait_for_function(
        "() => document.getElementById('player').readyState >= 2", timeout=20_000
    )
    player: dict[str, Any] = page.evaluate(
        "() => { const v = document.getElementById('player');"
        " return {readyState: v.readyState, duration: v.duration,"
        " width: v.videoWidth, height: v.videoHeight, src: v.currentSrc}; }"
    )
    job_id = player["src"].split("/jobs/")[1].split("/")[0]
    response = page.request.get(f"/api/v1/jobs/{job_id}")
    assert response.ok
    player["job"] = response.json()
    return player


def make_text_video(page: Any, prompt: str = "a red balloon over a calm sea at sunset") -> Any:
    page.check("input[name=task][value=text_to_video]")
    page.fill("#prompt", prompt)
    choose(page, size="320x180", seconds="1", fps="12")
    page.fill("#seed", "7")
    page.click("#generate")
    return wait_for_video(page)
