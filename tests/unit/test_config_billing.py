"""Plans are settings: from TOML tables or JSON in the environment, checked when loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelvault.config import load_settings
from reelvault.errors import ConfigError

TOML = """
billing_default_plan = "free"

[billing_plans.free]
video_seconds_per_month = 60
max_resolution = "1280x720"

[billing_plans.pro]
title = "Pro"
concurrent_jobs = 4
stripe_price_id = "price_pro"
"""


def test_plans_load_from_a_toml_file(tmp_path: Path) -> None:
    config = tmp_path / "reelvault.toml"
    config.write_text(TOML)
    settings = load_settings(config, data_dir=tmp_path)
    assert settings.billing_plans["free"].video_seconds_per_month == 60
    assert settings.billing_plans["pro"].stripe_price_id == "price_pro"
    assert settings.billing_plans["pro"].video_seconds_per_month is None  # no limit


def test_plans_load_from_json_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELVAULT_BILLING_PLANS", '{"free": {"concurrent_jobs": 2}}')
    assert load_settings(None, data_dir=tmp_path).billing_plans["free"].concurrent_jobs == 2


def test_no_plans_is_the_default(tmp_path: Path) -> None:
    assert load_settings(None, data_dir=tmp_path).billing_plans == {}


@pytest.mark.parametrize(
    ("plans", "extra", "says"),
    [
        ({"pro": {}}, {}, "billing_default_plan 'free' is not one of billing_plans"),
        ({"free": {}}, {"billing_guest_plan": "anon"}, "billing_guest_plan"),
        ({"free": {"stripe_price_id": "price_x"}}, {}, "without paying"),
        ({"free": {}, "a": {"stripe_price_id": "p"}, "b": {"stripe_price_id": "p"}}, {}, "same"),
        ({"free": {"max_resolution": "big"}}, {}, "WIDTHxHEIGHT"),
    ],
)
def test_plans_that_cannot_work_are_refused_when_loaded(
    tmp_path: Path, plans: dict[str, object], extra: dict[str, object], says: str
) -> None:
    with pytest.raises(ConfigError, match=says):
        load_settings(None, data_dir=tmp_path, billing_plans=plans, **extra)
