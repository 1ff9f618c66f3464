"""Global options move in front of the command, and nothing else moves."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from reelvault.cli.global_options import VALUED_GLOBAL_OPTIONS, hoist_global_options


def test_an_option_after_the_command_moves_in_front_with_its_value() -> None:
    args = ["serve", "--port", "9000", "--policy", "standard"]
    assert hoist_global_options(args) == ["--policy", "standard", "serve", "--port", "9000"]


def test_the_equals_form_and_options_already_in_front() -> None:
    args = ["--data-dir", "/d", "jobs", "list", "--config=/c.toml", "--json"]
    assert hoist_global_options(args) == [
        "--data-dir",
        "/d",
        "--config=/c.toml",
        "jobs",
        "list",
        "--json",
    ]


def test_a_later_repetition_still_wins_as_click_would_read_it() -> None:
    args = ["--policy", "standard", "serve", "--policy", "ephemeral"]
    hoisted = hoist_global_options(args)
    assert hoisted == ["--policy", "standard", "--policy", "ephemeral", "serve"]


def test_nothing_after_a_double_dash_is_touched() -> None:
    args = ["generate", "--", "--policy", "is a prompt"]
    assert hoist_global_options(args) == args


tokens = st.one_of(
    st.sampled_from([*VALUED_GLOBAL_OPTIONS, "--json", "-o", "serve", "jobs", "--", "x"]),
    st.text(min_size=1, max_size=8),
)


@given(st.lists(tokens, max_size=12))
def test_hoisting_only_reorders_and_is_stable(args: list[str]) -> None:
    hoisted = hoist_global_options(args)
    assert Counter(hoisted) == Counter(args)
    assert hoist_global_options(hoisted) == hoisted
