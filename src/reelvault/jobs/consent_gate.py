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

The ledger lives in the privacy layer, above this one: it answers through the runtime's
:class:`~reelvault.runtime.JobGate`, so that ``jobs`` never imports ``privacy``.
"""

from __future__ import annotations

from typing import Any, Protocol

from reelvault.engines.base import Engine, EngineParams, parse_params
from reelvault.errors import ConsentRequiredError
from reelvault.runtime import Runtime
from reelvault.types import Task


class _JobLike(Protocol):
    @property
    def task(self) -> Task: ...
    @property
    def prompt(self) -> str | None: ...
    @property
    def params(self) -> Any: ...


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

    ``request`` is a :class:`~reelvault.jobs.request.JobRequest` (task, prompt, params);
    ``params`` the engine parameters already parsed from it, if at hand.
    """
    if engine.runs_locally:
        return
    parsed = params if params is not None else parse_params(engine, request.params)
    outbound = engine.outbound(request.task, parsed, prompt=bool((request.prompt or "").strip()))
    if outbound is None:
        return
    if runtime.hooks.gate.provider_consent(runtime, owner_id, outbound.provider):
        return
    sends = list(outbound.sends)
    what = _join(outbound.sends) or "this job's data"
    raise ConsentRequiredError(
        f"this job would send your {what} to {outbound.title}; opt in for the provider "
        f"{outbound.provider} first (consent purpose provider:{outbound.provider})",
        provider=outbound.provider,
        sends=sends,
    )


__all__ = ["check_provider_consent"]
