"""OpenID Connect provider settings: names fit a URL segment, issuers use https."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelvault.config import load_settings
from reelvault.errors import ConfigError


def _provider(issuer: str) -> dict[str, str]:
    return {"issuer": issuer, "client_id": "c", "client_secret": "s", "display_name": "D"}


def test_providers_load_from_the_environment_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "REELVAULT_OIDC_PROVIDERS",
        '{"google": {"issuer": "https://accounts.google.com", "client_id": "id", '
        '"client_secret": "very-secret", "display_name": "Google"}}',
    )
    settings = load_settings(None, data_dir=tmp_path)
    google = settings.oidc_providers["google"]
    assert google.issuer == "https://accounts.google.com"
    assert google.client_secret.get_secret_value() == "very-secret"
    assert "very-secret" not in repr(settings)


@pytest.mark.parametrize(
    "issuer",
    ["http://sso.example.org", "ftp://sso.example.org", "https://sso.example.org/?q=1"],
)
def test_an_issuer_off_https_is_refused(tmp_path: Path, issuer: str) -> None:
    with pytest.raises(ConfigError, match="issuer"):
        load_settings(None, data_dir=tmp_path, oidc_providers={"sso": _provider(issuer)})


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:8080", "http://localhost:9000/realms/x"])
def test_plain_http_is_allowed_on_this_machine(tmp_path: Path, issuer: str) -> None:
    settings = load_settings(None, data_dir=tmp_path, oidc_providers={"dev": _provider(issuer)})
    assert settings.oidc_providers["dev"].issuer == issuer


@pytest.mark.parametrize("name", ["Google", "a/b", "x" * 33, ""])
def test_a_name_must_fit_a_url_segment(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError):
        load_settings(
            None,
            data_dir=tmp_path,
            oidc_providers={name: _provider("https://accounts.google.com")},
        )
