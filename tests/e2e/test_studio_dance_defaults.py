"""The dance tab follows its inputs: the reference's length and the photo's orientation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.e2e.conftest import DATA, open_studio
from tests.e2e.helpers import DANCE_PHOTO, wait_for_video

LONG_REFERENCE = DATA / "squats_woman_720x1280_5fps.mp4"  # 13 s


def _portrait_photo(folder: Path) -> Path:
    """The full-body photo cropped to a portrait frame around the person."""
    with Image.open(DANCE_PHOTO) as photo:
        width, height = photo.size
        side = height * 3 // 5
        left = (width - side) // 2
        path = folder / "portrait.jpg"
        photo.crop((left, 0, left + side, height)).save(path, quality=92)
    return path


def _choose_dance(page: Any, photo: Path, reference: Path) -> None:
    page.check("input[name=task][value=dance]")
    page.set_input_files("#image", str(photo))
    page.wait_for_selector("#image-preview:not([hidden])")
    page.set_input_files("#reference_video", str(reference))
    page.wait_for_selector("#video-preview:not([hidden])")


def test_a_dance_lasts_as_long_as_its_reference_in_the_photos_orientation(
    page: Any, tmp_path: Path
) -> None:
    open_studio(page)
    page.check("input[name=task][value=dance]")
    assert page.input_value("#size") == "640x360"  # the default before any photo
    _choose_dance(page, _portrait_photo(tmp_path), LONG_REFERENCE)
    assert "13.0 s" in page.inner_text("#video-help")
    assert float(page.input_value("#seconds")) == pytest.approx(13.0)
    assert page.input_value("#size") == "360x640"
    assert "As long as the reference" in page.inner_text("#seconds-note")
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/jobs") and r.request.method == "POST"
    ) as sent:
        page.click("#generate")
    job = sent.value.json()
    # What the server was asked for: the whole dance, in a portrait frame.
    assert job["seconds"] == pytest.approx(13.0)
    assert job["size"] == "360x640"
    page.click("#cancel")
    page.wait_for_selector("#job-error:not([hidden])", timeout=20_000)


def test_the_user_may_shorten_it_and_a_landscape_photo_stays_landscape(page: Any) -> None:
    open_studio(page)
    _choose_dance(page, DANCE_PHOTO, LONG_REFERENCE)
    assert page.input_value("#size") == "640x360"
    page.fill("#seconds", "3")
    page.dispatch_event("#seconds", "change")
    assert page.input_value("#seconds") == "3"


def test_a_reference_longer_than_the_engine_allows_is_capped_and_said(page: Any) -> None:
    def fewer_seconds(route: Any) -> None:
        response = route.fetch()
        engines = response.json()
        for engine in engines["data"]:
            if "dance" in engine["tasks"]:
                engine["limits"]["seconds"][1] = 5
        route.fulfill(response=response, body=json.dumps(engines))

    page.route("**/api/v1/engines", fewer_seconds)
    open_studio(page)
    _choose_dance(page, DANCE_PHOTO, LONG_REFERENCE)
    assert page.input_value("#seconds") == "5"
    assert "at most 5 s" in page.inner_text("#seconds-note")


MOTION = DATA / "arms_and_knees_dance.bvh"


def test_a_bvh_motion_file_is_a_reference_too(page: Any) -> None:
    open_studio(page)
    page.check("input[name=task][value=dance]")
    assert ".bvh" in (page.get_attribute("#reference_video", "accept") or "")
    page.set_input_files("#image", str(DANCE_PHOTO))
    page.wait_for_selector("#image-preview:not([hidden])")
    page.set_input_files("#reference_video", str(MOTION))
    page.wait_for_function(
        "() => /BVH motion/.test(document.getElementById('video-help').textContent)"
    )
    assert "4.0 s" in page.inner_text("#video-help")
    assert page.inner_text("#video-error") == ""
    assert float(page.input_value("#seconds")) == pytest.approx(4.0)
    page.select_option("#size", "256x144")
    page.click("#generate")
    player = wait_for_video(page)
    assert player["job"]["engine"] == "puppet" and player["job"]["status"] == "completed"
    assert player["duration"] == pytest.approx(4.0, abs=0.1)


def test_a_bvh_file_that_is_not_one_or_an_engine_that_needs_a_video(
    page: Any, tmp_path: Path
) -> None:
    def no_motion(route: Any) -> None:
        response = route.fetch()
        engines = response.json()
        for engine in engines["data"]:
            engine["reads_motion"] = False
        route.fulfill(response=response, body=json.dumps(engines))

    page.route("**/api/v1/engines", no_motion)
    open_studio(page)
    page.check("input[name=task][value=dance]")
    fake = tmp_path / "dab.bvh"
    fake.write_text("not motion capture at all\n")
    page.set_input_files("#reference_video", str(fake))
    page.wait_for_function("() => document.getElementById('video-error').textContent !== ''")
    assert "no HIERARCHY" in page.inner_text("#video-error")
    page.set_input_files("#image", str(DANCE_PHOTO))
    page.wait_for_selector("#image-preview:not([hidden])")
    page.set_input_files("#reference_video", str(MOTION))
    page.wait_for_function(
        "() => /BVH motion/.test(document.getElementById('video-help').textContent)"
    )
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if r.method == "POST" else None)
    page.click("#generate")
    assert "not a BVH file" in page.inner_text("#form-error")
    assert uploads == []
