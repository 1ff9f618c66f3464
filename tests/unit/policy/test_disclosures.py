"""Every rendering of every profile says whom else personal data may reach: nobody for
their own marketing, authorities only when compelled, a new owner only in a merger or
acquisition (the seed policies' "Information Sharing and Disclosure")."""

from __future__ import annotations

import pytest

from reelvault.policy import Policy, render_policy

STATEMENTS = (
    "with anyone for their own marketing or for profiling",
    "law enforcement agencies only when legally compelled",
    "merged into or acquired by another organisation",
)


@pytest.mark.parametrize("fmt", ("markdown", "html"))
def test_the_policy_says_whom_else_data_may_reach(profile: Policy, fmt: str) -> None:
    text = render_policy(profile, fmt)  # type: ignore[arg-type]
    start = text.index("Our promises")
    promises = text[start : text.index("Your rights", start)]
    for statement in STATEMENTS:
        assert statement in promises
