"""Moderator registry: built-ins and third parties register through the same seam.

Third-party packages declare an entry point in the ``reelvault.moderators`` group whose
value is a moderator class (see :mod:`reelvault.moderation.base`); the built-in ones are
listed in :data:`BUILTIN_MODERATORS` and loaded the same way. A duplicate name raises.
"""

from __future__ import annotations

import importlib

from reelvault.config import Settings
from reelvault.errors import ConfigError
from reelvault.moderation.base import Moderator
from reelvault.plugins import installed

ENTRY_POINT_GROUP = "reelvault.moderators"

BUILTIN_MODERATORS: tuple[str, ...] = (
    "reelvault.moderation.rules:RuleListModerator",
    # Needs the optional extra reelvault[nudity] (AGPL-3.0): listed always, runs only
    # when installed and named in the settings (its unavailable() says why not).
    "reelvault.moderation.nudity:NudityModerator",
    # Needs the optional extra reelvault[profanity] (MIT, scikit-learn): the same way.
    "reelvault.moderation.profanity:ProfanityModerator",
)


def _load_reference(reference: str) -> type[Moderator]:
    module_name, _, attribute = reference.partition(":")
    moderator_class: type[Moderator] = getattr(importlib.import_module(module_name), attribute)
    return moderator_class


class ModeratorRegistry:
    """Moderator classes by name."""

    def __init__(self) -> None:
        self._classes: dict[str, type[Moderator]] = {}

    def register(self, moderator_class: type[Moderator]) -> type[Moderator]:
        name = getattr(moderator_class, "name", None)
        if not isinstance(name, str) or not name:
            raise ConfigError(f"moderator class {moderator_class!r} has no name")
        for attribute in ("check_text", "check_image", "checks_text", "checks_images"):
            if not hasattr(moderator_class, attribute):
                raise ConfigError(
                    f"moderator {name} does not declare {attribute} (subclass "
                    "reelvault.moderation.base.ModeratorBase for the defaults)"
                )
        existing = self._classes.get(name)
        if existing is not None and existing is not moderator_class:
            raise ConfigError(
                f"two moderators are named {name!r}: {existing.__module__}."
                f"{existing.__qualname__} and {moderator_class.__module__}."
                f"{moderator_class.__qualname__}"
            )
        self._classes[name] = moderator_class
        return moderator_class

    def names(self) -> list[str]:
        return sorted(self._classes)

    def classes(self) -> list[type[Moderator]]:
        return [self._classes[name] for name in self.names()]

    def unavailable(self, name: str) -> str | None:
        """Why the moderator ``name`` cannot run here (a missing extra), else None."""
        check = getattr(self._classes[name], "unavailable", None)
        reason: str | None = check() if callable(check) else None
        return reason

    def create(self, name: str, settings: Settings) -> Moderator:
        moderator_class = self._classes.get(name)
        if moderator_class is None:
            known = ", ".join(self.names()) or "none"
            raise ConfigError(
                f"setting moderators names {name!r}, which is not installed (known: {known})",
                param="moderators",
            )
        reason = self.unavailable(name)
        if reason is not None:
            raise ConfigError(
                f"setting moderators names {name!r}, which cannot run here: {reason}",
                param="moderators",
            )
        if getattr(moderator_class, "wants_settings", False):
            return moderator_class(settings)  # type: ignore[call-arg]
        return moderator_class()


def load_moderators(*, include_entry_points: bool = True) -> ModeratorRegistry:
    """The registry with the built-in moderators and, by default, installed plugins."""
    registry = ModeratorRegistry()
    for reference in BUILTIN_MODERATORS:
        registry.register(_load_reference(reference))
    if include_entry_points:
        for entry_point in installed(ENTRY_POINT_GROUP):
            registry.register(entry_point.load())
    return registry


__all__ = ["BUILTIN_MODERATORS", "ENTRY_POINT_GROUP", "ModeratorRegistry", "load_moderators"]
