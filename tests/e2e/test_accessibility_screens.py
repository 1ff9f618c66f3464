"""axe-core on every page, light and dark; screenshots at desktop and phone width."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    LiveServer,
    open_studio,
    run_axe,
    serving,
)
from tests.e2e.helpers import make_text_video


def _summary(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in violations
    )


def _shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    if page.locator("#player[src]").count():
        # A still frame, not the loading spinner.
        page.wait_for_function("() => document.getElementById('player').readyState === 4")
        page.evaluate(
            "() => new Promise((done) => { const v = document.getElementById('player');"
            " v.addEventListener('seeked', done, {once: true}); v.currentTime = 0.5; })"
        )
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_studio_is_accessible_and_photographed(browser: Any, live_server: Any, scheme: str) -> None:
    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, color_scheme=scheme, locale="en-GB"
    )
    page = context.new_page()
    try:
        open_studio(page)
        assert run_axe(page) == [], _summary(run_axe(page))  # empty state
        make_text_video(page, "a red balloon drifting over a calm sea at sunset")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.tile img')].every((i) => i.complete)"
        )
        violations = run_axe(page)
        assert violations == [], _summary(violations)
        suffix = "" if scheme == "light" else "-dark"
        _shoot(page, f"studio-desktop{suffix}")
        page.set_viewport_size(PHONE)
        violations = run_axe(page)
        assert violations == [], _summary(violations)
        _shoot(page, f"studio-phone{suffix}")
        # The other flows' forms, as a phone user sees them.
        page.check("input[name=task][value=dance]")
        violations = run_axe(page)
        assert violations == [], _summary(violations)
        if scheme == "light":
            page.evaluate("window.scrollTo(0, 0)")
            _shoot(page, "studio-dance-phone")
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_privacy_centre_is_accessible_and_photographed(
    browser: Any, live_server: Any, scheme: str
) -> None:
    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, color_scheme=scheme, locale="en-GB"
    )
    page = context.new_page()
    try:
        page.goto("/privacy-centre")
        page.wait_for_selector("body[data-ready=true]")
        violations = run_axe(page)
        assert violations == [], _summary(violations)
        suffix = "" if scheme == "light" else "-dark"
        _shoot(page, f"privacy-centre-desktop{suffix}")
        page.set_viewport_size(PHONE)
        violations = run_axe(page)
        assert violations == [], _summary(violations)
        _shoot(page, f"privacy-centre-phone{suffix}")
    finally:
        context.close()


def test_keyboard_alone_makes_a_video(page: Any) -> None:
    open_studio(page)
    page.focus("input[name=task][value=text_to_video]")
    page.keyboard.press("ArrowRight")  # radio group: arrows move between flows
    assert page.is_checked("input[name=task][value=image_to_video]")
    page.keyboard.press("ArrowLeft")
    page.focus("#prompt")
    page.keyboard.type("birds flying over the sea")
    page.select_option("#size", "320x180")
    page.fill("#seconds", "1")
    page.focus("#generate")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "generate"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    page.keyboard.press("Enter")
    page.wait_for_selector("#job-result:not([hidden])", timeout=60_000)
    assert outline != "none" or page.evaluate("document.activeElement.matches(':focus-visible')")


ACCOUNT_PAGES = [
    "/account/signup",
    "/account/login",
    "/account/password-reset",
    "/account/verify-email",
    "/account",
]


@pytest.fixture(scope="module")
def account_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own: making an API key ends keyless mode, which the shared one keeps."""
    with serving(tmp_path_factory.mktemp("account-screens"), workers=1) as server:
        yield server


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_account_pages_are_accessible(
    browser: Any, account_server: LiveServer, scheme: str
) -> None:
    context = browser.new_context(
        base_url=account_server.url, viewport=DESKTOP, color_scheme=scheme, locale="en-GB"
    )
    page = context.new_page()
    try:
        for path in ACCOUNT_PAGES:  # signed out: each form, and the account page's invitation
            page.goto(path)
            page.wait_for_selector("body[data-ready=true]")
            violations = run_axe(page)
            assert violations == [], f"{path}: {_summary(violations)}"
        # Errors shown: the sign-up form refused in the browser.
        page.goto("/account/signup")
        page.wait_for_selector("body[data-ready=true]")
        page.click("#signup-submit")
        violations = run_axe(page)
        assert violations == [], _summary(violations)
        # Signed in, with a new key's secret on screen and a revoked key in the list.
        page.fill("#signup-email", f"axe-{scheme}@example.org")
        page.fill("#signup-password", "four unrelated words here")
        page.check("#signup-age")
        with page.expect_navigation():
            page.click("#signup-submit")
        page.wait_for_selector("#signed-in:not([hidden])")
        for name in ("old script", "laptop script"):
            page.fill("#key-name", name)
            page.click("#key-create")
            page.wait_for_selector(f"#keys tr:has-text('{name}')")
        page.click("button[aria-label='Revoke the key old script']")
        page.wait_for_selector("#keys tr:has-text('old script') >> text=revoked")
        page.click("#delete")  # the confirmation step open too
        violations = run_axe(page)
        assert violations == [], _summary(violations)
        suffix = "" if scheme == "light" else "-dark"
        _shoot(page, f"account-desktop{suffix}")
        page.set_viewport_size(PHONE)
        violations = run_axe(page)
        assert violations == [], _summary(violations)
        _shoot(page, f"account-phone{suffix}")
    finally:
        context.close()


def test_keyboard_alone_signs_up(browser: Any, live_server: Any) -> None:
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    try:
        open_studio(page)
        page.focus("#account-link")  # the header leads to the account pages
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("body[data-ready=true]")
        page.focus("#signed-out a[href='/account/signup']")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("body[data-ready=true]")
        page.focus("#signup-email")
        page.keyboard.type("keys@example.org")
        page.keyboard.press("Tab")
        page.keyboard.type("Keys")  # the display name
        page.keyboard.press("Tab")
        page.keyboard.type("four unrelated words here")
        page.keyboard.press("Tab")  # the age box comes right after the password
        assert page.evaluate("document.activeElement.id") == "signup-age"
        page.keyboard.press("Space")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("#signed-in:not([hidden])")
        assert page.text_content("#me-email") == "keys@example.org"
        assert page.text_content("#account-title") == "Hello, Keys"
    finally:
        context.close()
