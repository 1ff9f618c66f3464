"""Content moderation that runs on this machine (docs/moderation.md).

Moderators are plug-ins (the ``reelvault.moderators`` entry point group, like engines):
each reports categories and scores for a prompt or an image; the operator's settings turn
them into allow / flag / block (:mod:`reelvault.moderation.pipeline`). The built-in rule
list (:mod:`reelvault.moderation.rules`) always runs. Jobs are screened at submit (the
prompt, uploaded images) and after generation (sampled frames), in the jobs layer.
"""

from __future__ import annotations

from reelvault.moderation.base import Decision, Finding, Moderator, ModeratorBase, Verdict
from reelvault.moderation.pipeline import ModerationPipeline, check_adult_content, enforce
from reelvault.moderation.registry import ENTRY_POINT_GROUP, ModeratorRegistry, load_moderators

__all__ = [
    "ENTRY_POINT_GROUP",
    "Decision",
    "Finding",
    "ModerationPipeline",
    "Moderator",
    "ModeratorBase",
    "ModeratorRegistry",
    "Verdict",
    "check_adult_content",
    "enforce",
    "load_moderators",
]
