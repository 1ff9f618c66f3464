"""The docs are part of the product: every setting and command is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelvault.cli.main import app
from reelvault.config import Settings

README = (Path(__file__).parents[2] / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme(name: str) -> None:
    assert f"`{name}`" in README or f"`{name}` /" in README or f"/ `{name}`" in README


def test_every_command_group_is_in_the_readme() -> None:
    names = [command.name for command in app.registered_commands]
    names += [group.name for group in app.registered_groups]
    assert names, "the CLI should register commands"
    for name in names:
        assert f"reelvault {name}" in README, name


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block
