"""The studio's account pages in Chromium: sign up, confirm the address from the e-mail,
sign in, API keys (shown once, revoked), sign out everywhere, delete the account.

The e-mails go through a real SMTP exchange to an aiosmtpd inbox on a loopback port.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import DESKTOP, LiveServer, PageProblems, _free_port, run_axe, serving
from tests.unit.privacy.test_notify import Inbox

EMAIL = "grace@example.org"
PASSWORD = "four unrelated words here"

controller_module = pytest.importorskip("aiosmtpd.controller")


@dataclass
class MailServer:
    server: LiveServer
    inbox: Inbox


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    inbox = Inbox()
    port = _free_port()
    smtp = controller_module.Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with serving(
            tmp_path_factory.mktemp("accounts"),
            workers=1,
            smtp_port=port,
            smtp_starttls=False,
            smtp_from="accounts@video.example",
        ) as server:
            yield MailServer(server, inbox)
    finally:
        smtp.stop()


@pytest.fixture
def new_page(browser: Any, mail_server: MailServer) -> Iterator[Any]:
    """Opens pages, each in a fresh browser profile; checks none broke the CSP."""
    contexts: list[Any] = []
    problems = PageProblems()

    def open_page() -> Any:
        context = browser.new_context(
            base_url=mail_server.server.url, viewport=DESKTOP, locale="en-GB"
        )
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems.csp_violations(), problems.csp_violations()


def _ready(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("body[data-ready=true]", timeout=15000)


def _link_path(inbox: Inbox, index: int) -> str:
    body = inbox.messages[index].get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"http://[^/\s]+(/account/[\w-]+\?token=[\w%-]+)", body.decode())
    assert found, body
    return found.group(1)


def _sign_in(page: Any, password: str = PASSWORD) -> None:
    _ready(page, "/account/login")
    page.fill("#login-email", EMAIL)
    page.fill("#login-password", password)
    page.click("#login-submit")


def _bearer(server: LiveServer, secret: str) -> int:
    headers = {"Authorization": f"Bearer {secret}"}
    return httpx.get(server.url + "/api/v1/jobs", headers=headers, timeout=10).status_code


def test_an_account_from_sign_up_to_deletion(new_page: Any, mail_server: MailServer) -> None:
    server, inbox = mail_server.server, mail_server.inbox
    page = new_page()
    # Sign up: the age box is the policy's minimum age, and it must be ticked.
    _ready(page, "/account/signup")
    assert page.text_content("#signup-age-label") == "I am at least 13 years old"
    page.fill("#signup-email", EMAIL)
    page.fill("#signup-name", "Grace")
    page.fill("#signup-password", PASSWORD)
    page.click("#signup-submit")
    assert "confirm your age" in page.text_content("#signup-error")
    assert page.evaluate("document.activeElement.id") == "signup-age"
    page.check("#signup-age")
    with page.expect_navigation():
        page.click("#signup-submit")
    page.wait_for_selector("#signed-in:not([hidden])")
    assert page.text_content("#me-email") == EMAIL
    assert "Not yet" in page.text_content("#me-verified")
    assert page.text_content("#account-title") == "Hello, Grace"
    page.fill("#display-name", "Grace H.")
    page.click("#name-save")
    page.wait_for_function("() => document.getElementById('profile-status').textContent !== ''")
    assert page.text_content("#account-title") == "Hello, Grace H."

    # The e-mailed link confirms the address; the token leaves the address bar.
    _wait_for_mail(inbox, lambda: len(inbox.messages) >= 1)
    assert len(inbox.messages) == 1
    _ready(page, _link_path(inbox, 0))
    assert "confirmed" in page.text_content("#verify-status")
    assert "token" not in page.url
    _ready(page, "/account")
    assert page.text_content("#me-verified") == "Yes"
    assert page.input_value("#display-name") == "Grace H."  # kept by the server

    # A key: its secret shown once, and it works until revoked.
    page.fill("#key-name", "laptop script")
    page.uncheck("#scope-privacy")
    page.click("#key-create")
    page.wait_for_selector("#new-key:not([hidden])")
    secret = page.input_value("#new-key-secret")
    assert secret.startswith("rv-")
    row = page.locator("#keys tr", has_text="laptop script")
    assert row.locator("td").nth(1).text_content() == "videos:read, videos:write"
    prefix = row.locator("code").text_content().rstrip("…")
    assert secret.startswith(prefix) and secret != prefix
    assert _bearer(server, secret) == 200
    # Hidden, the secret is gone from the page; reloaded, it is nowhere to be found.
    page.click("#new-key-done")
    assert page.input_value("#new-key-secret") == ""
    assert secret not in page.content()
    _ready(page, "/account")
    assert page.is_hidden("#new-key") and secret not in page.content()
    page.click("button[aria-label='Revoke the key laptop script']")
    page.wait_for_function(
        "() => document.getElementById('keys-status').textContent.includes('revoked')"
    )
    # The list is drawn again after the status line: wait for the row to say so.
    state = row.locator("td").nth(3)
    deadline = time.monotonic() + 15
    while "revoked" not in (state.text_content() or "") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "revoked" in state.text_content()
    assert _bearer(server, secret) == 401

    # Another browser: a wrong password is refused, with words a screen reader hears.
    other = new_page()
    _sign_in(other, "not the password at all")
    other.wait_for_function("() => document.getElementById('login-error').textContent !== ''")
    assert "wrong" in other.text_content("#login-error")
    assert other.get_attribute("#login-error", "role") == "alert"
    assert other.evaluate("document.activeElement.id") == "login-password"
    with other.expect_navigation():
        _sign_in(other)
    other.wait_for_selector("#signed-in:not([hidden])")

    # Both browsers are listed, this one marked; the other can be signed out from here.
    _ready(page, "/account")
    page.wait_for_function("() => document.querySelectorAll('#session-list li').length === 2")
    assert page.locator("#session-list li", has_text="This browser").count() == 1
    page.locator("#session-list button", has_text="Sign out").click()
    page.wait_for_function(
        "() => document.getElementById('sessions-status').textContent.includes('signed out')"
    )
    assert page.locator("#session-list li").count() == 1
    _ready(other, "/account")
    assert other.is_visible("#signed-out")
    with other.expect_navigation():
        _sign_in(other)
    other.wait_for_selector("#signed-in:not([hidden])")

    # Signing out everywhere ends the other browser's session too.
    with page.expect_navigation():
        page.click("#logout-everywhere")
    page.wait_for_selector("body[data-ready=true]")
    assert "every device" in page.text_content("#login-status")
    _ready(other, "/account")
    assert other.is_visible("#signed-out") and other.is_hidden("#signed-in")

    # Delete the account, after a confirmation step; its password opens nothing after.
    with other.expect_navigation():
        _sign_in(other)
    other.wait_for_selector("#signed-in:not([hidden])")
    other.click("#delete")
    assert other.evaluate("document.activeElement.id") == "delete-no"
    other.click("#delete-yes")
    other.wait_for_function(
        "() => document.getElementById('account-status').textContent.includes('deleted')"
    )
    _sign_in(other)
    other.wait_for_function("() => document.getElementById('login-error').textContent !== ''")
    assert "wrong" in other.text_content("#login-error")


def _wait_for_mail(inbox: Any, arrived: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not arrived():
        assert time.monotonic() < deadline, "the e-mail did not arrive"
        time.sleep(0.05)


def test_a_password_reset_link_sets_a_new_password(new_page: Any, mail_server: MailServer) -> None:
    server, inbox = mail_server.server, mail_server.inbox
    email = "reset.me@example.org"
    made = httpx.post(
        server.url + "/api/v1/account/signup",
        json={"email": email, "password": PASSWORD, "age_confirmed": True},
        timeout=10,
    )
    assert made.status_code == 202, made.text  # alike for every address
    # Account mail goes out after the answer: let the confirmation link arrive first.
    _wait_for_mail(inbox, lambda: [email] in inbox.recipients)
    page = new_page()
    _ready(page, "/account/login")
    page.click("#forgot-link")
    page.wait_for_selector("#reset-request-form:not([hidden])")
    page.fill("#reset-email", email)
    before = len(inbox.messages)
    page.click("#reset-request-submit")
    page.wait_for_function("() => document.getElementById('reset-status').textContent !== ''")
    assert "if an account has this address" in page.text_content("#reset-status").lower()
    _wait_for_mail(inbox, lambda: len(inbox.messages) >= before + 1)
    assert len(inbox.messages) == before + 1
    _ready(page, _link_path(inbox, before))
    assert "token" not in page.url and page.is_hidden("#reset-request-form")
    page.fill("#reset-password", "short")
    page.click("#reset-confirm-submit")
    assert "12 characters" in page.text_content("#reset-confirm-error")
    page.fill("#reset-password", "a brand new passphrase")
    page.click("#reset-confirm-submit")
    page.wait_for_function("() => document.getElementById('reset-status').textContent !== ''")
    assert "new password is set" in page.text_content("#reset-status")
    login = httpx.post(
        server.url + "/api/v1/account/login",
        json={"email": email, "password": "a brand new passphrase"},
        timeout=10,
    )
    assert login.status_code == 200


def test_sign_in_shows_a_button_for_each_identity_provider(
    new_page: Any, mail_server: MailServer
) -> None:
    page = new_page()
    config = httpx.get(mail_server.server.url + "/api/v1/studio/config", timeout=10).json()
    config["accounts"]["providers"] = [{"name": "acme", "title": "Acme ID"}]
    # This server has no provider configured: the page is given one, as a server with
    # `oidc_providers` gives it (tests/unit/web/test_studio_providers.py).
    page.route("**/api/v1/studio/config", lambda route: route.fulfill(json=config))
    _ready(page, "/account/login")
    link = page.get_by_role("link", name="Sign in with Acme ID")
    assert link.get_attribute("href") == "/auth/oidc/acme/login"
    # A first sign-in makes an account: the age box adds the confirmation to the link.
    page.get_by_label(f"I am at least {config['minimum_age']} years old").check()
    assert link.get_attribute("href") == "/auth/oidc/acme/login?age_confirmed=true"
    assert run_axe(page) == []


def test_without_accounts_the_pages_say_so_and_sign_up_is_refused(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with serving(tmp_path_factory.mktemp("no-accounts"), workers=1, accounts_enabled=False) as off:
        context = browser.new_context(base_url=off.url, viewport=DESKTOP, locale="en-GB")
        try:
            page = context.new_page()
            page.goto("/")
            page.wait_for_selector("body[data-ready=true]", timeout=15000)
            assert page.is_hidden("#account-link")
            for path in ("/account/signup", "/account/login", "/account"):
                _ready(page, path)
                assert page.is_visible("#accounts-off"), path
                assert page.locator("form:visible").count() == 0, path
            signup = httpx.post(
                off.url + "/api/v1/account/signup",
                json={"email": EMAIL, "password": PASSWORD, "age_confirmed": True},
                timeout=10,
            )
            assert signup.status_code == 404
        finally:
            context.close()


def test_plan_and_usage_show_only_where_the_account_reports_them(
    new_page: Any, mail_server: MailServer
) -> None:
    page = new_page()
    _ready(page, "/account/signup")
    page.fill("#signup-email", "plans@example.org")
    page.fill("#signup-password", PASSWORD)
    page.check("#signup-age")
    with page.expect_navigation():
        page.click("#signup-submit")
    page.wait_for_selector("#signed-in:not([hidden])")
    assert page.is_hidden("#plan-section")  # this server has no billing

    # A server with billing adds them to the account's answer; the page shows them.
    def with_plan(route: Any) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        me = route.fetch().json()
        me["plan"] = {"id": "pro", "name": "Pro"}
        me["usage"] = {"video_seconds": {"used": 42, "limit": 600}, "jobs": 7}
        route.fulfill(json=me)

    page.route("**/api/v1/account", with_plan)
    _ready(page, "/account")
    assert page.is_visible("#plan-section")
    facts = page.text_content("#plan-facts")
    assert "Pro" in facts and "42 of 600" in facts and "Jobs" in facts
    assert run_axe(page) == []
