"""The moderation pipeline: the moderators the settings name, and what their findings do.

Each moderator (:mod:`reelvault.moderation.base`) reports findings; a finding counts
from its category's threshold (``moderation_thresholds``, default 0.5) and then does
what the category's action says (``moderation_actions``), else what the moderator
suggests. The strictest verdict wins. The ``minors`` category is always blocked, and so
is ``nudity`` unless the operator allows adult content (:func:`check_adult_content`).

Nothing is kept: a decision holds categories and moderator names, never the text, the
image or the rule that matched, and only its categories are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from reelvault.config import Settings
from reelvault.config_moderation import (
    ADULT_MINIMUM_AGE,
    DEFAULT_THRESHOLD,
    MINORS_CATEGORY,
    NUDITY_CATEGORY,
)
from reelvault.errors import ConfigError, ContentBlockedError
from reelvault.moderation.base import ALLOWED, Decision, Finding, Image, Moderator, Verdict
from reelvault.moderation.registry import ModeratorRegistry, load_moderators
from reelvault.policy import Policy

log = logging.getLogger(__name__)


class ModerationPipeline:
    """The moderators of a deployment, created once from its settings."""

    def __init__(self, settings: Settings, registry: ModeratorRegistry | None = None) -> None:
        self.settings = settings
        self.registry = registry if registry is not None else load_moderators()
        self.moderators: tuple[Moderator, ...] = tuple(
            self.registry.create(name, settings) for name in settings.moderators
        )

    @property
    def checks_images(self) -> bool:
        return any(moderator.checks_images for moderator in self.moderators)

    def get(self, name: str) -> Moderator:
        for moderator in self.moderators:
            if moderator.name == name:
                return moderator
        raise KeyError(name)

    def assess_text(self, text: str) -> Decision:
        if not text.strip():
            return ALLOWED
        return self._decide(
            (moderator.name, finding)
            for moderator in self.moderators
            if moderator.checks_text
            for finding in moderator.check_text(text)
        )

    def assess_images(self, images: Sequence[Image]) -> Decision:
        return self._decide(
            (moderator.name, finding)
            for moderator in self.moderators
            if moderator.checks_images
            for image in images
            for finding in moderator.check_image(image)
        )

    def action(self, finding: Finding) -> Verdict:
        """What ``finding`` does under the settings."""
        if finding.category == MINORS_CATEGORY or (
            finding.category == NUDITY_CATEGORY and not self.settings.allow_adult_content
        ):
            return Verdict.BLOCK if finding.score >= self._threshold(finding) else Verdict.ALLOW
        if finding.score < self._threshold(finding):
            return Verdict.ALLOW
        chosen = self.settings.moderation_actions.get(finding.category)
        return Verdict(chosen) if chosen is not None else finding.suggested

    def _threshold(self, finding: Finding) -> float:
        return self.settings.moderation_thresholds.get(finding.category, DEFAULT_THRESHOLD)

    def _decide(self, findings: Iterable[tuple[str, Finding]]) -> Decision:
        verdict = Verdict.ALLOW
        deciding: list[tuple[str, str]] = []
        for moderator, finding in findings:
            action = self.action(finding)
            if action.severity > verdict.severity:
                verdict, deciding = action, []
            if action is verdict and action is not Verdict.ALLOW:
                deciding.append((moderator, finding.category))
        if verdict is Verdict.ALLOW:
            return ALLOWED
        return Decision(
            verdict=verdict,
            categories=tuple(sorted({category for _, category in deciding})),
            moderators=tuple(sorted({moderator for moderator, _ in deciding})),
        )


def check_adult_content(settings: Settings, policy: Policy) -> None:
    """Refuse ``allow_adult_content`` under a policy that admits people under 18.

    Called when a runtime opens, before anything else: the settings alone do not know the
    policy's minimum age (a profile or the operator's file).
    """
    if settings.allow_adult_content and policy.minimum_age < ADULT_MINIMUM_AGE:
        raise ConfigError(
            "invalid setting allow_adult_content (REELVAULT_ALLOW_ADULT_CONTENT): adult "
            f"content needs a policy whose minimum_age is {ADULT_MINIMUM_AGE} or more; the "
            f"policy {policy.name!r} admits people from {policy.minimum_age}",
            param="allow_adult_content",
        )


def enforce(decision: Decision, *, what: str, param: str | None = None) -> None:
    """Raise :class:`ContentBlockedError` for a block; log a flag (its categories only).

    ``what`` names the thing checked for the message (``the prompt``, ``the image``).
    """
    if decision.verdict is Verdict.FLAG:
        log.warning(
            "content moderation flagged %s (categories: %s)", what, ", ".join(decision.categories)
        )
    if decision.blocked:
        categories = list(decision.categories)
        raise ContentBlockedError(
            f"{what} was refused by this service's content rules "
            f"(category: {', '.join(categories)})",
            categories=categories,
            param=param,
        )


__all__ = ["DEFAULT_THRESHOLD", "ModerationPipeline", "check_adult_content", "enforce"]
