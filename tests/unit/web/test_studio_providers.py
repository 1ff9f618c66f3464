"""The sign-in page's provider buttons come from ``oidc_providers``: names and display
names, never a client id or secret."""

from __future__ import annotations

from pathlib import Path

from reelvault.testing import settings_for
from reelvault.web.studio_config import accounts_config

PROVIDERS = {
    "keycloak": {
        "issuer": "https://id.example.org/realms/main",
        "client_id": "reelvault-client-id",
        "client_secret": "a-very-secret-client-secret",
        "display_name": "Example ID",
    },
    "acme": {
        "issuer": "http://127.0.0.1:8081",
        "client_id": "acme-client",
        "client_secret": "acme-secret",
        "display_name": "Acme",
    },
}


def test_each_configured_provider_gets_a_button_and_no_secret_reaches_the_page(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, oidc_providers=PROVIDERS)
    config = accounts_config(settings)
    assert [(p.name, p.title) for p in config.providers] == [
        ("acme", "Acme"),
        ("keycloak", "Example ID"),
    ]
    text = config.model_dump_json()
    assert "a-very-secret" not in text and "acme-secret" not in text and "client-id" not in text


def test_without_accounts_no_button_is_offered(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, oidc_providers=PROVIDERS, accounts_enabled=False)
    assert accounts_config(settings).providers == []
