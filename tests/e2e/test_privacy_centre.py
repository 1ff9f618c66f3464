"""The privacy centre against the privacy API; parts whose endpoint is missing are hidden."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, open_studio
from tests.e2e.helpers import make_text_video


def open_centre(page: Any) -> None:
    page.goto("/privacy-centre")
    page.wait_for_selector("body[data-ready=true]", timeout=15000)


def need(live_server: LiveServer, path: str) -> None:
    if not live_server.has(path):
        pytest.skip(f"{path} does not exist on this server yet (privacy API, issue 6)")


def test_policy_facts_and_link(page: Any) -> None:
    open_centre(page)
    assert page.inner_text("#fact-policy").startswith("ephemeral")
    assert page.inner_text("#fact-output") == "kept 1 hour, then deleted"
    assert page.inner_text("#fact-prompt") == "not kept after the job ends"
    assert page.get_attribute("a[href='/privacy'].button", "href") == "/privacy"


def test_sections_without_an_endpoint_are_hidden(page: Any, live_server: LiveServer) -> None:
    open_centre(page)
    expected = {
        "#consents-section": live_server.has("/api/v1/privacy/consents"),
        "#export-block": live_server.has("/api/v1/privacy/export"),
        "#erase-block": live_server.has("/api/v1/privacy/erase"),
        "#notify-section": live_server.has("/api/v1/privacy/notify"),
    }
    for selector, present in expected.items():
        assert page.is_visible(selector) == present, selector


def test_consent_toggles_change_what_the_api_records(page: Any, live_server: LiveServer) -> None:
    need(live_server, "/api/v1/privacy/consents")
    open_centre(page)
    switch = page.locator("input.switch[data-purpose='analytics']")
    before = switch.is_checked()
    switch.click()
    page.wait_for_function(
        "(want) => { const s = document.querySelector(\"input.switch[data-purpose='analytics']\");"
        " return !s.disabled && s.checked === want; }",
        arg=not before,
    )
    purposes = page.request.get("/api/v1/privacy/consents").json()["purposes"]
    recorded = {p["purpose"]: p["granted"] for p in purposes}
    assert recorded["analytics"] is (not before)


def test_export_downloads_a_zip(page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    need(live_server, "/api/v1/privacy/export")
    open_studio(page)
    make_text_video(page)
    open_centre(page)
    with page.expect_download() as caught:
        page.click("#export")
    target = tmp_path / "export.zip"
    caught.value.save_as(target)
    with zipfile.ZipFile(io.BytesIO(target.read_bytes())) as archive:
        assert archive.namelist()


def test_delete_everything_empties_the_gallery(page: Any, live_server: LiveServer) -> None:
    need(live_server, "/api/v1/privacy/erase")
    open_studio(page)
    make_text_video(page)
    assert page.locator("button.tile").count() == 1
    open_centre(page)
    page.click("#erase")
    page.click("#erase-yes")
    page.wait_for_function(
        "() => document.getElementById('erase-status').textContent.includes('was deleted')"
    )
    open_studio(page)
    page.wait_for_selector("#gallery-empty:not([hidden])")
    assert page.locator("button.tile").count() == 0


def test_notify_me_asks_the_age_first(page: Any, live_server: LiveServer) -> None:
    need(live_server, "/api/v1/privacy/notify")
    posted: list[tuple[str, str]] = []
    page.on(
        "request",
        lambda r: posted.append((r.url, r.post_data or "")) if r.method == "POST" else None,
    )
    open_centre(page)
    page.fill("#notify-email", "someone@example.org")
    page.check("input[name=age][value=child]")
    page.click("#notify-form button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('notify-error').textContent.includes('at least 13')"
    )
    # Declared under age: only the answer is sent, never the address.
    assert [url.split("/api/v1/privacy/")[1] for url, _ in posted] == ["age"]
    assert all("example.org" not in body for _, body in posted)
    assert page.input_value("#notify-email") == ""
    # The server now refuses to collect an address from this browser.
    refused = page.request.put(
        "/api/v1/privacy/consents/marketing",
        data={"granted": True},
        headers={"X-CSRF-Token": _csrf(page)},
    )
    assert refused.status == 403


def _csrf(page: Any) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "rv_csrf")
