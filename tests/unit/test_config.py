"""Settings: env over TOML over defaults; invalid values name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelvault.config import load_settings
from reelvault.errors import ConfigError


def test_defaults_live_under_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path)
    assert settings.policy == "ephemeral"
    assert settings.resolved_key_file == tmp_path / "master.key"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'reelvault.db'}"


def test_environment_beats_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "reelvault.toml"
    config.write_text('policy = "library"\nworkers = 3\nmax_prompt_chars = 50\n')
    monkeypatch.setenv("REELVAULT_WORKERS", "5")
    settings = load_settings(config, data_dir=tmp_path)
    assert settings.policy == "library"
    assert settings.workers == 5
    assert settings.max_prompt_chars == 50


def test_reelvault_table_in_toml(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[reelvault]\npolicy = "standard"\n')
    assert load_settings(config, data_dir=tmp_path).policy == "standard"


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("REELVAULT_WORKERS", "0", r"invalid setting workers \(REELVAULT_WORKERS\)"),
        ("REELVAULT_LOG_LEVEL", "LOUD", r"invalid setting log_level"),
        ("REELVAULT_LEASE_SECONDS", "soon", r"invalid setting lease_seconds"),
    ],
)
def test_invalid_environment_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=message):
        load_settings(None, data_dir=tmp_path)


def test_unknown_key_in_file_and_bad_toml(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("wokers = 2\n")
    with pytest.raises(ConfigError, match="invalid setting wokers"):
        load_settings(config)
    config.write_text("workers = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


def test_master_key_is_hidden_in_the_censored_view(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path, master_key="c2VjcmV0")
    assert settings.censored()["master_key"] == "**********"
    assert "c2VjcmV0" not in repr(settings)


def test_s3_blob_store_settings(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        data_dir=tmp_path,
        blob_store="s3://media/prefix?endpoint_url=http://minio:9000",
        s3_secret_access_key="very-secret",
    )
    assert settings.censored()["s3_secret_access_key"] == "**********"
    assert "very-secret" not in repr(settings)
    assert load_settings(None, data_dir=tmp_path, blob_store="local").blob_store is None


@pytest.mark.parametrize(
    "url",
    [
        "http://minio:9000/media",
        "s3://",
        "s3://key:secret@media/x",
        "s3://m?endpoint_url=http://k:s@h",
    ],
)
def test_s3_blob_store_url_is_checked(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="invalid setting blob_store") as caught:
        load_settings(None, data_dir=tmp_path, blob_store=url)
    assert "pw123" not in str(caught.value)
