"""The queue=celery settings: checked at load time, the broker URL never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelvault.config import load_settings
from reelvault.errors import ConfigError


def test_celery_needs_a_broker(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="broker_url"):
        load_settings(None, data_dir=tmp_path, queue="celery")


def test_the_visibility_timeout_must_exceed_the_longest_job(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must exceed the longest job"):
        load_settings(
            None,
            data_dir=tmp_path,
            remote_timeout_seconds=900,
            broker_visibility_timeout_seconds=900,
        )
    load_settings(None, data_dir=tmp_path, broker_visibility_timeout_seconds=901)


def test_the_broker_url_is_censored(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        data_dir=tmp_path,
        queue="celery",
        broker_url="amqp://reelvault:s3cret-pass@rabbit:5672//",
    )
    shown = settings.censored()
    assert shown["broker_url"] == "**********"
    assert "s3cret-pass" not in repr(settings) and "s3cret-pass" not in str(shown)


def test_the_default_is_the_database_queue(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path)
    assert settings.queue == "database" and settings.broker_url is None


@pytest.mark.parametrize(
    "mistyped",
    [
        "guest:s3cret-pass@rabbit:5672//",  # the scheme forgotten
        "redis:/:s3cret-pass@redis:6379/0",  # one slash short
        "reddis://:s3cret-pass@redis:6379/0",  # a transport that does not exist
        "s3cret-pass",  # the password alone, pasted into the wrong setting
    ],
)
def test_a_broker_url_that_is_not_one_is_refused_without_echoing_it(
    tmp_path: Path, mistyped: str
) -> None:
    # Kombu would take such a value for a RabbitMQ host name and print it in the banner.
    with pytest.raises(ConfigError, match="broker_url") as refused:
        load_settings(None, data_dir=tmp_path, queue="celery", broker_url=mistyped)
    assert "s3cret-pass" not in str(refused.value)
    assert "s3cret-pass" not in repr(refused.value)
    for accepted in ("redis://:pw@redis:6379/0", "rediss://redis:6380/0", "amqp://u:pw@rabbit//"):
        load_settings(None, data_dir=tmp_path, queue="celery", broker_url=accepted)
