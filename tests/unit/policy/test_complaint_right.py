"""Every rendering of every profile tells people they may complain to a supervisory
authority (Dance Generator: "You may lodge a complaint with your local supervisory
authority"), next to how to use their rights."""

from __future__ import annotations

import pytest

from reelvault.policy import Policy, render_policy

COMPLAINT = "You may also lodge a complaint with your data protection supervisory authority."


@pytest.mark.parametrize("fmt", ("markdown", "html"))
def test_the_policy_states_the_right_to_complain(profile: Policy, fmt: str) -> None:
    text = render_policy(profile, fmt)  # type: ignore[arg-type]
    rights = text[text.index("Your rights") :]
    assert COMPLAINT in rights
