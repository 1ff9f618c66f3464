from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelvault.policy.duration import IsoDuration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P30D", timedelta(days=30)),
        ("PT1H", timedelta(hours=1)),
        ("P12M", timedelta(days=360)),
        ("P1Y", timedelta(days=365)),
        ("P90D", timedelta(days=90)),
        ("PT0S", timedelta(0)),
        ("P2W", timedelta(days=14)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P1Y2M3DT4H5M6S", timedelta(days=365 + 60 + 3, hours=4, minutes=5, seconds=6)),
    ],
)
def test_parses_valid_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text).to_timedelta() == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "P1DT",
        "P30X",
        "30D",
        "p30d",
        "P-1D",
        "P1.5D",
        "PT1.5S",
        "P1D1Y",
        "P1M1Y",
        "PT1H1H",
        " P1D",
        "P1D ",
        "P1H",
        "PT1D",
        "P1234567D",
        "P\u0661D",
    ],
)
def test_rejects_invalid_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid ISO 8601 duration"):
        parse_duration(text)


def test_describe_keeps_units_as_written() -> None:
    assert parse_duration("P12M").describe() == "12 months"
    assert parse_duration("PT1H").describe() == "1 hour"
    assert parse_duration("P1DT2H").describe() == "1 day 2 hours"
    assert parse_duration("PT0S").describe() == "0 seconds"


components = st.integers(min_value=0, max_value=999_999)


@given(
    st.builds(
        IsoDuration,
        years=components,
        months=components,
        weeks=components,
        days=components,
        hours=components,
        minutes=components,
        seconds=components,
    )
)
def test_isoformat_parse_round_trip(duration: IsoDuration) -> None:
    assert parse_duration(duration.isoformat()) == duration


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=999_999, hours=23)))
def test_format_parse_round_trip(value: timedelta) -> None:
    value = timedelta(days=value.days, seconds=value.seconds)  # whole seconds only
    text = format_duration(value)
    assert parse_duration(text).to_timedelta() == value
    assert format_duration(parse_duration(text).to_timedelta()) == text


@given(st.text(max_size=20))
def test_garbage_is_rejected_or_round_trips(text: str) -> None:
    try:
        parsed = parse_duration(text)
    except ValueError as exc:
        assert "invalid ISO 8601 duration" in str(exc)
    else:
        # Anything accepted is canonical up to zero components and leading zeros.
        assert parse_duration(parsed.isoformat()).to_timedelta() == parsed.to_timedelta()
        assert text.startswith("P")


@given(st.text(alphabet="PYMWDTHS0123456789.-, ", max_size=12))
def test_near_miss_garbage_never_crashes(text: str) -> None:
    try:
        parsed = parse_duration(text)
    except ValueError as exc:
        assert str(exc).startswith(f"invalid ISO 8601 duration {text!r}")
    else:
        assert parsed.isoformat() == "PT0S" or parse_duration(parsed.isoformat()) == parsed


def test_format_refuses_negative_and_fractional() -> None:
    with pytest.raises(ValueError):
        format_duration(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        format_duration(timedelta(milliseconds=5))
