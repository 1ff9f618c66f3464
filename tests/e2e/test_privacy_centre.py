"""The privacy centre against the privacy API; parts whose endpoint is missing are hidden."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, LiveServer, PageProblems, open_studio, serving
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


# -- adults-only consents: a profile that offers news by e-mail (library) ---------------


@pytest.fixture(scope="module")
def library_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory.mktemp("library"), policy="library") as server:
        yield server


@pytest.fixture
def library_page(browser: Any, library_server: LiveServer) -> Iterator[Any]:
    """A fresh browser profile (so a fresh owner who never answered the age question)."""
    context = browser.new_context(base_url=library_server.url, viewport=DESKTOP)
    problems = PageProblems()
    opened = context.new_page()
    problems.watch(opened)
    yield opened
    context.close()
    assert not problems.csp_violations(), problems.csp_violations()


def _marketing(page: Any) -> bool:
    purposes = page.request.get("/api/v1/privacy/consents").json()["purposes"]
    granted: bool = {p["purpose"]: p["granted"] for p in purposes}["marketing"]
    return granted


def test_an_adults_only_consent_asks_the_age_then_saves(library_page: Any) -> None:
    page = library_page
    open_centre(page)
    page.locator("input.switch[data-purpose='marketing']").click()
    page.wait_for_selector("dialog.age-dialog[open]")
    assert page.inner_text("#age-dialog-title") == "How old are you?"
    page.click("dialog.age-dialog button[value=adult]")
    page.wait_for_function(
        "() => { const s = document.querySelector(\"input.switch[data-purpose='marketing']\");"
        " return !s.disabled && s.checked; }"
    )
    assert _marketing(page) is True
    # Answered once: the next grant does not ask again.
    page.locator("input.switch[data-purpose='marketing']").click()  # off
    page.wait_for_function(
        "() => !document.querySelector(\"input.switch[data-purpose='marketing']\").checked"
    )
    page.locator("input.switch[data-purpose='marketing']").click()  # on again
    page.wait_for_function(
        "() => { const s = document.querySelector(\"input.switch[data-purpose='marketing']\");"
        " return !s.disabled && s.checked; }"
    )
    assert page.locator("dialog.age-dialog").count() == 0
    assert _marketing(page) is True


def test_younger_is_refused_and_the_answer_sticks(library_page: Any) -> None:
    page = library_page
    open_centre(page)
    page.locator("input.switch[data-purpose='marketing']").click()
    page.wait_for_selector("dialog.age-dialog[open]")
    page.click("dialog.age-dialog button[value=child]")
    page.wait_for_function(
        "() => document.getElementById('consents-error').textContent.includes('13 or older')"
    )
    assert not page.locator("input.switch[data-purpose='marketing']").is_checked()
    assert _marketing(page) is False
    # Saying "old enough" afterwards, in the notify-me form, is refused.
    page.fill("#notify-email", "grown.up@example.org")
    page.check("input[name=age][value=adult]")
    page.click("#notify-form button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('notify-error').textContent.includes('cannot be changed')"
    )
    assert _marketing(page) is False
