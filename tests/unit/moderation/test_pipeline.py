"""Settings turn findings into allow / flag / block; the minors category stays blocked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from reelvault.app.compose import open_runtime
from reelvault.errors import ConfigError, ContentBlockedError
from reelvault.jobs.request import JobRequest, preparing_waits
from reelvault.moderation import Finding, ModerationPipeline, ModeratorBase, Verdict, enforce
from reelvault.moderation.registry import load_moderators
from reelvault.testing import (
    MAGENTA,
    FakeModerator,
    moderators_with_fake,
    registry_with_fake,
    settings_for,
)


class Scored(ModeratorBase):
    name: ClassVar[str] = "scored"
    checks_text: ClassVar[bool] = True

    def check_text(self, text: str) -> Sequence[Finding]:
        return [Finding("violence", 0.6, Verdict.BLOCK), Finding("spam", 0.9, Verdict.FLAG)]


def pipeline(tmp_path: Path, **overrides: object) -> ModerationPipeline:
    registry = moderators_with_fake()
    registry.register(Scored)
    return ModerationPipeline(settings_for(tmp_path, **overrides), registry)


def test_thresholds_and_actions_per_category(tmp_path: Path) -> None:
    chosen = pipeline(tmp_path, moderators=["rules", "scored"])
    assert chosen.assess_text("anything").verdict is Verdict.BLOCK
    assert chosen.assess_text("anything").categories == ("violence",)
    raised = pipeline(
        tmp_path, moderators=["rules", "scored"], moderation_thresholds={"violence": 0.7}
    )
    decision = raised.assess_text("anything")
    assert (decision.verdict, decision.categories) == (Verdict.FLAG, ("spam",))
    relaxed = pipeline(
        tmp_path,
        moderators=["rules", "scored"],
        moderation_actions={"violence": "allow", "spam": "allow"},
    )
    assert relaxed.assess_text("anything").verdict is Verdict.ALLOW


def test_the_minors_category_cannot_be_switched_off(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="minors"):
        settings_for(tmp_path, moderation_actions={"minors": "flag"})
    with pytest.raises(ConfigError, match="rules"):
        settings_for(tmp_path, moderators=["fake"])
    lenient = pipeline(tmp_path, moderation_actions={"sexual": "allow"})
    assert lenient.assess_text("a naked toddler").categories == ("minors",)


def test_image_moderators_see_images(tmp_path: Path) -> None:
    chosen = pipeline(tmp_path, moderators=["rules", "fake"])
    assert chosen.checks_images
    magenta = np.full((32, 32, 3), MAGENTA, dtype=np.uint8)
    grey = np.full((32, 32, 3), 128, dtype=np.uint8)
    assert chosen.assess_images([grey]).verdict is Verdict.ALLOW
    assert chosen.assess_images([grey, magenta]).categories == ("testing",)
    fake = chosen.get("fake")
    assert isinstance(fake, FakeModerator) and fake.images_seen == 3


def test_a_block_names_the_category_never_the_words(tmp_path: Path) -> None:
    chosen = pipeline(tmp_path)
    with pytest.raises(ContentBlockedError) as caught:
        enforce(chosen.assess_text("a nude schoolgirl"), what="the prompt", param="prompt")
    assert caught.value.categories == ["minors"]
    assert caught.value.code == "content_blocked" and caught.value.http_status == 400
    for word in ("nude", "schoolgirl"):
        assert word not in caught.value.message


def test_unknown_and_duplicate_moderators_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not installed"):
        ModerationPipeline(settings_for(tmp_path, moderators=["rules", "nudenet"]))
    registry = load_moderators(include_entry_points=False)

    class Impostor(ModeratorBase):
        name: ClassVar[str] = "rules"

    with pytest.raises(ConfigError, match="two moderators"):
        registry.register(Impostor)


def test_a_prompt_for_a_moderator_plug_in_is_checked_off_the_event_loop(tmp_path: Path) -> None:
    registry = moderators_with_fake()
    registry.register(Scored)
    for names, waits in (
        (["rules"], False),
        (["rules", "fake"], False),
        (["rules", "scored"], True),
    ):
        settings = settings_for(tmp_path / "-".join(names), moderators=names)
        runtime = open_runtime(settings, registry=registry_with_fake(), moderators=registry)
        try:
            assert preparing_waits(runtime, JobRequest(prompt="a cat", engine="fake")) is waits
        finally:
            runtime.close()
