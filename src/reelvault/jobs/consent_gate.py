"""The consent gate: nothing leaves this machine for a provider the owner did not opt in to.

Called while a job is validated, before anything of it is stored. Engines that run
locally are not concerned. An engine that sends data out answers ``outbound(task,
params, prompt=...)`` with the provider and what would be sent (or None when nothing
leaves, e.g. the operator's own ComfyUI server); the owner's newest decision for
``provider:<name>`` in the consent ledger decides. Without an opt-in the job is refused
with :class:`ConsentRequiredError` (403 ``consent_required``) naming both; an owner who
declared being under the policy's minimum age is refused with a plain 403 (``forbidden``)
where the policy reserves provider consent for adults, whatever the ledger holds. The
gate runs at submit and again just before the job starts.

The ledger lives in the privacy layer, above this one: like :mod:`reelvault.jobs.hooks`,
it is reached by dotted path on first use so that ``jobs`` never imports ``privacy``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any, Protocol

from reelvault.engines.base import Engine, EngineParams, parse_params
from reelvault.errors import ConsentRequiredError
from reelvault.jobs.runtime import Runtime
from reelvault.types import Task

HAS_CONSENT = "reelvault.privacy.consent:has_consent"
PROVIDER_PURPOSE = "reelvault.privacy.consent:provider_purpose"
REFUSE_UNDER_AGE = "reelvault.privacy.adults:refuse_under_age"


class _JobLike(Protocol):
    @property
    def task(self) -> Task: ...
    @property
    def prompt(self) -> str | None: ...
    @property
    def params(self) -> Any: ...


def _load(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


@cache
def _ledger() -> tuple[Callable[..., bool], Callable[[str], str], Callable[..., None]]:
    return _load(HAS_CONSENT), _load(PROVIDER_PURPOSE), _load(REFUSE_UNDER_AGE)


def _join(items: tuple[str, ...]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def check_provider_consent(
    runtime: Runtime,
    owner_id: str,
    engine: Engine,
    request: _JobLike,
    *,
    params: EngineParams | None = None,
) -> None:
    """Raise :class:`ConsentRequiredError` unless ``owner_id`` opted in to the provider.

    ``request`` is a :class:`~reelvault.jobs.service.JobRequest` (task, prompt, params);
    ``params`` the engine parameters already parsed from it, if at hand.
    """
    if engine.runs_locally:
        return
    parsed = params if params is not None else parse_params(engine, request.params)
    outbound = engine.outbound(request.task, parsed, prompt=bool((request.prompt or "").strip()))
    if outbound is None:
        return
    has_consent, provider_purpose, refuse_under_age = _ledger()
    purpose = provider_purpose(outbound.provider)
    refuse_under_age(runtime, owner_id, purpose)
    if has_consent(runtime, owner_id, purpose):
        return
    sends = list(outbound.sends)
    what = _join(outbound.sends) or "this job's data"
    raise ConsentRequiredError(
        f"this job would send your {what} to {outbound.title}; opt in for the provider "
        f"{outbound.provider} first (consent purpose provider:{outbound.provider})",
        provider=outbound.provider,
        sends=sends,
    )


__all__ = ["HAS_CONSENT", "PROVIDER_PURPOSE", "REFUSE_UNDER_AGE", "check_provider_consent"]
