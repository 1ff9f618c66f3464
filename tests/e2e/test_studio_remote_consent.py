"""The studio records a provider opt-in under the purpose the server's job gate checks.

It once asked for ``provider:remote`` (the engine's name), which the gate never reads: the
person said yes and every job was still refused. The provider is the one the model names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from reelvault.db.privacy_models import ConsentRecord
from reelvault.privacy.consent import has_consent
from tests.e2e.conftest import DESKTOP, LiveServer, _free_port, open_studio, serving

MODEL = "fal-ai/kling-video/v2/master/text-to-video"


@pytest.fixture
def fal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # A fal key turns the provider on; its queue points at a port nobody listens on, and
    # the test sends no job, so nothing can leave.
    with serving(
        tmp_path_factory.mktemp("studio-fal"),
        fal_key="test-key",
        fal_queue_url=f"http://127.0.0.1:{_free_port()}",
    ) as server:
        yield server


def test_allowing_a_provider_records_the_providers_own_purpose(
    browser: Any, fal_server: LiveServer
) -> None:
    context = browser.new_context(base_url=fal_server.url, viewport=DESKTOP, locale="en-GB")
    try:
        page = context.new_page()
        open_studio(page)
        page.select_option("#engine", "remote")
        page.click("#options summary")  # the engine's own parameters fold away
        model = page.locator("#params input[id$='-model']")
        model.fill(MODEL)
        model.dispatch_event("input")
        notice = page.locator("#remote-notice")
        notice.wait_for(state="visible")
        assert notice.locator("h2 [data-provider]").inner_text() == "fal"
        assert "negative prompt" in notice.locator("[data-sends]").inner_text()
        page.click("#remote-consent")
        page.wait_for_selector("dialog.age-dialog[open]")
        page.click("dialog.age-dialog button[value=adult]")
        page.wait_for_function(
            "() => document.getElementById('remote-consent').hidden === true", timeout=15_000
        )
        listed = page.evaluate(
            "async () => (await (await fetch('/api/v1/privacy/consents')).json()).purposes"
        )
        granted = {item["purpose"] for item in listed if item["granted"]}
        assert "provider:fal" in granted and "provider:remote" not in granted
    finally:
        context.close()
    # The ledger the job gate reads holds the opt-in under provider:fal.
    owners = _consenting_owners(fal_server)
    assert owners and all(has_consent(fal_server.runtime, o, "provider:fal") for o in owners)


def _consenting_owners(server: LiveServer) -> set[str]:
    with server.runtime.session() as session:
        return set(session.scalars(select(ConsentRecord.owner_id)).all())
