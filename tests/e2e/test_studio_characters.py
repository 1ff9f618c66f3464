"""Characters in the studio: save one with the affirmation, make a video from it, delete it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, LiveServer, run_axe, serving
from tests.e2e.helpers import DANCE_PHOTO, choose, wait_for_video


@pytest.fixture(scope="module")
def keeping_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The shared server runs the ephemeral default, which keeps no characters."""
    with serving(tmp_path_factory.mktemp("characters"), workers=1, policy="standard") as server:
        yield server


def test_a_saved_character_makes_a_video_without_a_new_upload(
    browser: Any, keeping_server: LiveServer
) -> None:
    context = browser.new_context(base_url=keeping_server.url, viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    try:
        page.goto("/")
        page.wait_for_selector("body[data-ready=true]", timeout=15000)
        assert page.is_visible("#characters")
        assert "90 days" in page.inner_text("#characters-note")

        page.fill("#character-name", "Noor Aldane")
        page.set_input_files("#character-media", str(DANCE_PHOTO))
        page.click("#character-save")  # without the affirmation: asked for, nothing sent
        assert "permission" in page.inner_text("#character-error")
        assert page.evaluate("document.activeElement.id") == "character-affirmed"
        page.check("#character-affirmed")
        page.click("#character-save")
        page.wait_for_selector("#character-list li")
        assert "Noor Aldane" in page.inner_text("#character-list")
        assert run_axe(page) == []

        page.check("input[name=task][value=image_to_video]")
        page.select_option("#character", label="Noor Aldane")
        assert page.is_hidden("#likeness-field")  # affirmed when it was saved
        page.fill("#prompt", "slow push in")
        choose(page, size="320x180", seconds="1", fps="12")
        with page.expect_request(
            lambda r: r.url.endswith("/api/v1/jobs") and r.method == "POST"
        ) as sent:
            page.click("#generate")
        body = sent.value.post_data_buffer or b""
        assert b'name="character"' in body and b'name="image"' not in body
        player = wait_for_video(page)
        assert player["job"]["task"] == "image_to_video" and player["width"] == 320

        page.click("#character-list button")  # Delete
        page.wait_for_function("() => !document.querySelector('#character-list li')")
        assert page.locator("#character option").count() == 1  # "None" only
    finally:
        context.close()
