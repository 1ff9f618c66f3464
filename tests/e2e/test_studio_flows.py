"""The three flows to a playable video, cancel, delete, expiry and the browser's own checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from tests.e2e.conftest import DATA, open_studio
from tests.e2e.helpers import DANCE_PHOTO, DANCE_VIDEO, choose, make_text_video, wait_for_video


def test_text_to_video_plays_in_the_page(page: Any) -> None:
    open_studio(page)
    player = make_text_video(page)
    job = player["job"]
    assert job["status"] == "completed" and job["engine"] == "procedural"
    assert player["readyState"] >= 2
    assert (player["width"], player["height"]) == (320, 180)
    assert player["duration"] == pytest.approx(job["seconds"], abs=0.1)
    assert page.locator("#download").get_attribute("href").endswith("variant=video")
    # The gallery lists it, with its thumbnail.
    tile = page.locator(f"button.tile[data-job='{job['id']}'] img")
    tile.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", tile.element_handle())


def test_the_preview_says_which_words_it_drew_and_which_it_could_not(page: Any) -> None:
    open_studio(page)
    make_text_video(page, "a red fox in a snowy forest under the northern lights, a zorblax")
    page.wait_for_selector("#result-words:not([hidden])")
    assert page.inner_text("#result-words") == (
        "Drawn: fox, snowy, forest, northern lights · Not drawn: zorblax"
    )


def test_image_to_video_with_preview(page: Any) -> None:
    open_studio(page)
    page.check("input[name=task][value=image_to_video]")
    assert page.is_visible("#image-zone") and not page.is_visible("#video-zone")
    page.set_input_files("#image", str(DANCE_PHOTO))
    page.wait_for_selector("#image-preview:not([hidden])")
    assert "\u00d7" in page.inner_text("#image-help")  # dimensions read in the browser
    assert page.input_value("#engine") == "livephoto"
    choose(page, size="320x180", seconds="1", fps="12")
    page.click("#generate")
    player = wait_for_video(page)
    assert player["job"]["task"] == "image_to_video"
    assert player["duration"] == pytest.approx(player["job"]["seconds"], abs=0.1)


def test_dance_with_reference_video(page: Any) -> None:
    open_studio(page)
    page.check("input[name=task][value=dance]")
    page.set_input_files("#image", str(DANCE_PHOTO))
    page.set_input_files("#reference_video", str(DANCE_VIDEO))
    page.wait_for_selector("#video-preview:not([hidden])")
    assert "4.0 s" in page.inner_text("#video-help")
    assert page.input_value("#engine") == "puppet"
    choose(page, size="256x256", seconds="2")
    page.click("#generate")
    player = wait_for_video(page)
    job = player["job"]
    assert job["task"] == "dance" and job["engine"] == "puppet"
    # As long as asked for (the reference lasts 4 s).
    assert player["duration"] == pytest.approx(2.0, abs=0.1)
    assert page.inner_text("#result-meta").endswith("silent")  # the reference has no sound


def _with_a_tone(folder: Path) -> Path:
    """The dance reference with a 440 Hz AAC track, as a phone's clip has sound."""
    path = folder / "dance-with-sound.mp4"
    with av.open(str(DANCE_VIDEO)) as source, av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=30)
        video.width, video.height, video.pix_fmt = 576, 576, "yuv420p"
        audio = out.add_stream("aac", rate=44100, layout="mono")
        for frame in source.decode(source.streams.video[0]):
            for packet in video.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        samples = 0.2 * np.sin(2 * np.pi * 440 * np.arange(44100 * 4) / 44100)
        for start in range(0, samples.size, 1024):
            chunk = samples[start : start + 1024].astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, start
            for packet in audio.encode(frame):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    return path


def test_a_dance_keeps_the_references_sound_and_the_player_plays_it(
    page: Any, tmp_path: Path
) -> None:
    open_studio(page)
    page.check("input[name=task][value=dance]")
    page.set_input_files("#image", str(DANCE_PHOTO))
    page.set_input_files("#reference_video", str(_with_a_tone(tmp_path)))
    page.wait_for_selector("#video-preview:not([hidden])")
    choose(page, size="256x256", seconds="2")
    page.click("#generate")
    player = wait_for_video(page)
    assert player["job"]["has_audio"] is True
    assert page.inner_text("#result-meta").endswith("with sound")
    assert "with sound" in (page.get_attribute("#player", "aria-label") or "")
    # Chromium decodes the sound as it plays, unmuted, with its own volume control.
    page.click("#player")  # a user's gesture
    page.evaluate("() => document.getElementById('player').play()")
    page.wait_for_function(
        "() => { const v = document.getElementById('player');"
        " return !v.muted && v.webkitAudioDecodedByteCount > 0; }",
        timeout=10_000,
    )


def test_wrong_files_are_refused_before_upload(page: Any, tmp_path: Any) -> None:
    open_studio(page)
    page.check("input[name=task][value=dance]")
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if r.method == "POST" else None)
    page.set_input_files("#image", str(DATA / "SOURCES.md"))
    assert "not a JPEG, PNG or WebP" in page.inner_text("#image-error")
    page.set_input_files("#reference_video", str(DANCE_PHOTO))
    assert "not an MP4, MOV, WebM or MKV" in page.inner_text("#video-error")
    page.click("#generate")
    assert "photo" in page.inner_text("#form-error")
    assert uploads == []


def test_cancel_stops_a_running_job(page: Any) -> None:
    open_studio(page)
    page.fill("#prompt", "a long drift of clouds over the city at night")
    choose(page, size="1280x720", seconds="20", fps="30")
    page.click("#generate")
    page.wait_for_selector("#job-progress:not([hidden])")
    page.wait_for_function(
        "() => /Queued|%/.test(document.getElementById('job-status').textContent)"
    )
    page.click("#cancel")
    page.wait_for_selector("#job-error:not([hidden])", timeout=20_000)
    assert "Cancelled" in page.inner_text("#job-error")
    jobs = page.request.get("/api/v1/jobs").json()["data"]
    assert jobs[0]["status"] == "cancelled"


def test_delete_now_removes_the_video(page: Any) -> None:
    open_studio(page)
    job = make_text_video(page)["job"]
    page.click("#delete")
    page.wait_for_selector("#result-empty:not([hidden])")
    assert "Deleted" in page.inner_text("#result-empty")
    page.wait_for_selector("#gallery-empty:not([hidden])")
    assert page.request.get(f"/api/v1/jobs/{job['id']}").status == 404


def test_expiry_countdown_and_expired_state(page: Any) -> None:
    page.clock.install()
    open_studio(page)
    make_text_video(page)
    text = page.inner_text("#expiry")
    # ephemeral: the service copy is kept for one hour
    assert text.startswith("The service copy is deleted in 59:") or "in 1 h" in text
    page.clock.fast_forward("01:00:05")
    page.wait_for_function(
        "() => document.getElementById('expiry').textContent.includes('has expired')"
    )
    assert not page.is_visible("#download")


def test_the_gallery_says_what_the_policy_keeps(page: Any) -> None:
    open_studio(page)
    note = page.inner_text("#gallery-note")
    assert note.startswith("Nothing is kept beyond the download window")
    assert "1 hour" in note
    assert page.inner_text("#policy-badge") == "ephemeral policy"
    assert page.is_hidden("#consent-banner")  # ephemeral asks for nothing up front


def test_remix_and_extend_a_finished_video(page: Any) -> None:
    open_studio(page)
    first = make_text_video(page)["job"]
    assert page.is_visible("#remix") and page.is_visible("#extend")
    page.fill("#derive-prompt", "at night")
    page.click("#remix")
    page.wait_for_function(
        f"() => !document.getElementById('player').currentSrc.includes('{first['id']}')"
    )
    remix = wait_for_video(page)["job"]
    assert (remix["source_job_id"], remix["derivation"]) == (first["id"], "remix")
    page.fill("#derive-prompt", "the balloon drifts on")
    page.select_option("#extend-seconds", "2")
    page.click("#extend")
    page.wait_for_function(
        f"() => !document.getElementById('player').currentSrc.includes('{remix['id']}')"
    )
    longer = wait_for_video(page)
    assert longer["job"]["derivation"] == "extension"
    assert longer["duration"] == pytest.approx(remix["seconds"] + 2, abs=0.15)
