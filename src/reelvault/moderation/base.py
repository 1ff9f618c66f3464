"""What a content moderator is: the plug-in seam of :mod:`reelvault.moderation`.

A moderator looks at a prompt (:meth:`Moderator.check_text`) and/or at images
(:meth:`Moderator.check_image`: an upload, or frames sampled from a generated video) and
returns :class:`Finding` s: a category, a score between 0 and 1 and the verdict it
suggests (allow, flag or block). It never returns the words or the rule that matched:
the operator's settings turn findings into a :class:`Decision`
(:mod:`reelvault.moderation.pipeline`). Moderators run on this machine: one that would
send content elsewhere does not belong here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
"""An RGB image, height x width x 3."""


class Verdict(StrEnum):
    ALLOW = "allow"
    FLAG = "flag"  # allowed, counted and logged (its category only)
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Verdict.ALLOW: 0, Verdict.FLAG: 1, Verdict.BLOCK: 2}


@dataclass(frozen=True)
class Finding:
    """One category a moderator found, how sure it is, and what it suggests doing."""

    category: str
    score: float
    suggested: Verdict = Verdict.BLOCK


@dataclass(frozen=True)
class Decision:
    """What the settings made of the findings: the verdict, the categories that decided
    it, and the moderators that found them. Holds no content."""

    verdict: Verdict
    categories: tuple[str, ...] = ()
    moderators: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        return self.verdict is Verdict.BLOCK


ALLOWED = Decision(Verdict.ALLOW)


@runtime_checkable
class Moderator(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]
    #: The moderator's licence, shown in the docs and on /privacy (some carry AGPL terms).
    licence: ClassVar[str]
    checks_text: ClassVar[bool]
    checks_images: ClassVar[bool]
    #: Constructed with the deployment's Settings (a rule file...) instead of no arguments.
    wants_settings: ClassVar[bool]

    def check_text(self, text: str) -> Sequence[Finding]: ...

    def check_image(self, image: Image) -> Sequence[Finding]: ...


class ModeratorBase:
    """Defaults for a moderator: checks nothing until a subclass says otherwise."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    licence: ClassVar[str] = "Apache-2.0"
    checks_text: ClassVar[bool] = False
    checks_images: ClassVar[bool] = False
    wants_settings: ClassVar[bool] = False

    @classmethod
    def unavailable(cls) -> str | None:
        """Why this moderator cannot run here (an optional package missing), else None.

        Asked before it is created and by ``reelvault moderators``; optional.
        """
        return None

    def check_text(self, text: str) -> Sequence[Finding]:
        return ()

    def check_image(self, image: Image) -> Sequence[Finding]:
        return ()


__all__ = [
    "ALLOWED",
    "Decision",
    "Finding",
    "Image",
    "Moderator",
    "ModeratorBase",
    "Verdict",
]
