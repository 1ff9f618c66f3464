"""What happens elsewhere when a job ends (anonymous usage counters, for one).

Higher layers (privacy) must not be imported by the jobs layer, so hooks are named here
by dotted path and loaded on first use, the same seam as the engine registry's
built-ins. Each hook runs inside the transaction that ends the job.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Mapping
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

JOB_END_HOOKS: tuple[str, ...] = (
    "reelvault.privacy.analytics:record_job_end",
    "reelvault.privacy.age:job_end_hook",
)
RESTRICTION_CHECK = "reelvault.privacy.restrict:restriction_refusals"
"""``(runtime, owner_ids) -> {owner_id: 403 error}`` for the owners who asked us to
restrict processing (GDPR art. 18): they get no new jobs."""
RETAINED_PROMPT_FILTER = "reelvault.privacy.redact:redact"
"""Applied to a prompt before it is kept beyond its job (emails, cards... -> placeholders)."""

JobEndHook = Callable[[Any, Session, Any], object]


@cache
def job_end_hooks() -> tuple[JobEndHook, ...]:
    hooks: list[JobEndHook] = []
    for reference in JOB_END_HOOKS:
        hooks.append(_load(reference))
    return tuple(hooks)


def _load(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


@cache
def retained_prompt_filter() -> Callable[[str], str]:
    function: Callable[[str], str] = _load(RETAINED_PROMPT_FILTER)
    return function


RestrictionCheck = Callable[[Any, Collection[str]], Mapping[str, Exception]]


@cache
def restriction_check() -> RestrictionCheck:
    function: RestrictionCheck = _load(RESTRICTION_CHECK)
    return function


__all__ = [
    "JOB_END_HOOKS",
    "RESTRICTION_CHECK",
    "RETAINED_PROMPT_FILTER",
    "RestrictionCheck",
    "job_end_hooks",
    "restriction_check",
    "retained_prompt_filter",
]
