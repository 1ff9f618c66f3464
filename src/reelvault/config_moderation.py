"""Settings of content moderation and of the likeness affirmation (docs/moderation.md).

A part of :class:`reelvault.config.Settings` (which inherits these fields), kept in its
own module so that each stays small; read them through ``Settings`` like any other.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings

ModerationAction = Literal["allow", "flag", "block"]
"""What a finding above its threshold does: nothing, a counted and logged flag, or a refusal."""

MINORS_CATEGORY = "minors"
"""Sexual content involving minors: always blocked, whatever the settings say."""

NUDITY_CATEGORY = "nudity"
"""Nudity in an image: always blocked unless the operator allows adult content (which the
runtime refuses unless the policy's minimum age is 18 or more)."""

ADULT_MINIMUM_AGE = 18
"""The policy's minimum age from which ``allow_adult_content`` may be set."""

BUILTIN_RULES_MODERATOR = "rules"
"""The offline rule-list moderator: always runs (it carries the minors rules)."""

DEFAULT_THRESHOLD = 0.5
"""The score from which a finding counts, for a category without its own threshold."""

_CATEGORY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class ModerationSettings(BaseSettings):
    moderators: list[str] = Field(
        default=[BUILTIN_RULES_MODERATOR],
        description="Content moderators that run, by name (built-in: rules; others come from "
        "the reelvault.moderators entry point group). rules always runs.",
    )
    moderation_rules_file: Path | None = Field(
        default=None,
        description="A YAML file of the operator's own moderation rules (terms and regular "
        "expressions per category), added to the built-in ones (docs/moderation.md).",
    )
    moderation_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Per category, the score from which a finding counts (0 to 1; JSON, e.g. "
        '{"violence": 0.8}); default 0.5.',
    )
    moderation_actions: dict[str, ModerationAction] = Field(
        default_factory=dict,
        description="Per category, what a finding does: allow, flag or block (JSON, e.g. "
        '{"violence": "flag"}); default: what the moderator suggests. minors is always block.',
    )
    moderation_output_frames: int = Field(
        default=4,
        ge=0,
        le=64,
        description="Frames of each generated video that image moderators look at "
        "(evenly spaced; 0: generated videos are not checked).",
    )
    allow_adult_content: bool = Field(
        default=False,
        description="Let the nudity category be flagged or allowed instead of blocked "
        "(moderation_actions). Refused unless the policy's minimum_age is 18 or more.",
    )
    likeness_affirmation: bool = Field(
        default=True,
        description="Image→video and dance inputs showing a face need the caller to affirm "
        "they are that person or have their permission (likeness_affirmed).",
    )

    @field_validator("moderators")
    @classmethod
    def _rules_always_run(cls, value: list[str]) -> list[str]:
        if BUILTIN_RULES_MODERATOR not in value:
            raise ValueError(
                f"must include {BUILTIN_RULES_MODERATOR!r}: the built-in rule list (with the "
                "rules that protect minors) cannot be switched off"
            )
        if len(set(value)) != len(value):
            raise ValueError("names a moderator twice")
        return value

    @field_validator("moderation_thresholds", "moderation_actions")
    @classmethod
    def _category_names(cls, value: dict[str, object]) -> dict[str, object]:
        for name in value:
            if not _CATEGORY.match(name):
                raise ValueError(f"{name!r} is not a category name (a-z, 0-9, _)")
        return value

    @field_validator("moderation_thresholds")
    @classmethod
    def _scores(cls, value: dict[str, float]) -> dict[str, float]:
        for name, score in value.items():
            if not 0.0 < score <= 1.0:
                raise ValueError(f"the threshold of {name} must be above 0 and at most 1")
        return value

    @model_validator(mode="after")
    def _minors_stay_blocked(self) -> ModerationSettings:
        if self.moderation_actions.get(MINORS_CATEGORY, "block") != "block":
            raise ValueError(f"the {MINORS_CATEGORY} category is always blocked")
        # A threshold above the default would let a classifier's less certain findings
        # through: the minors category can be made stricter, never looser.
        if self.moderation_thresholds.get(MINORS_CATEGORY, DEFAULT_THRESHOLD) > DEFAULT_THRESHOLD:
            raise ValueError(
                f"the threshold of {MINORS_CATEGORY} cannot be raised above "
                f"{DEFAULT_THRESHOLD}: the {MINORS_CATEGORY} category cannot be switched off"
            )
        return self

    @model_validator(mode="after")
    def _nudity_needs_adult_content(self) -> ModerationSettings:
        action = self.moderation_actions.get(NUDITY_CATEGORY, "block")
        if action != "block" and not self.allow_adult_content:
            raise ValueError(
                f"moderation_actions sets {NUDITY_CATEGORY} to {action}, which needs "
                "allow_adult_content = true (and a policy whose minimum_age is "
                f"{ADULT_MINIMUM_AGE} or more)"
            )
        return self


__all__ = [
    "ADULT_MINIMUM_AGE",
    "BUILTIN_RULES_MODERATOR",
    "DEFAULT_THRESHOLD",
    "MINORS_CATEGORY",
    "ModerationAction",
    "ModerationSettings",
    "NUDITY_CATEGORY",
]
