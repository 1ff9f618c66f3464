"""Job requests: what a caller asks for, and checking it against the engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reelvault.config_moderation import BUILTIN_RULES_MODERATOR
from reelvault.engines.base import Engine, EngineParams, ModelDefaults, parse_params
from reelvault.engines.registry import DEFAULT_ENGINES
from reelvault.errors import (
    EngineNotFoundError,
    UnsupportedMediaError,
    ValidationError,
)
from reelvault.jobs import webhooks
from reelvault.jobs.consent_gate import check_provider_consent
from reelvault.jobs.uploads import UploadedInput
from reelvault.runtime import Runtime
from reelvault.types import LOCAL_OWNER, Task

MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class JobRequest:
    """What a caller asks for. The prompt is personal data: it never appears in a repr."""

    prompt: str | None = field(default=None, repr=False)
    task: Task = Task.TEXT_TO_VIDEO
    engine: str = DEFAULT_ENGINES[Task.TEXT_TO_VIDEO]
    width: int = 640
    height: int = 360
    fps: int = 24
    seconds: float = 4.0
    seed: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    owner_id: str = LOCAL_OWNER
    webhook_url: str | None = None
    output_format: str = "mp4"
    source_job_id: str | None = None  # a remix, extension or edit: the job it is made from
    derivation: str | None = None  # how (see reelvault.engines.base.Derivation)
    timeline_frames: int | None = None  # an extension's: its line's first video's frames
    # The caller affirms being the person an input image shows, or having their permission.
    likeness_affirmed: bool = False
    # A saved character (its id or name) whose picture is the image input; ``@name`` in
    # the prompt does the same (reelvault.jobs.characters).
    character: str | None = None


MODEL_PREFIX = "reelvault-"


OUTPUT_FORMATS = ("mp4", "webm")
"""mp4: H.264 + AAC with faststart (plays everywhere); webm: VP9, video only."""


@dataclass(frozen=True)
class Shape:
    """A request's size, frame rate and length once what it left out is filled in."""

    width: int
    height: int
    fps: int
    seconds: float


def fill_shape(
    runtime: Runtime,
    *,
    task: Task,
    engine: str | None,
    model: str | None,
    asked: Mapping[str, Any],
    fallback: Shape,
) -> Shape:
    """A hosted model's own size, rate and length for what the request left out.

    ``asked`` holds what the client set (``width``/``height``/``fps``/``seconds``);
    ``fallback`` is the route's default for anything else. A neural model runs at the
    rate and size it was trained for (Wan at 16 fps): a request that names it without a
    size or rate gets those, not the route's defaults (which it would refuse).
    """
    defaults = ModelDefaults()
    if model and not engine:
        name, extra = resolve_engine(runtime, task=task, engine=None, model=model)
        if "model" in extra:
            defaults = runtime.registry.get(name).model_defaults(str(extra["model"]))
    width, height = (
        (asked["width"], asked["height"])
        if "width" in asked
        else (defaults.size or (fallback.width, fallback.height))
    )
    fps = asked.get("fps", defaults.fps or fallback.fps)
    seconds = asked.get("seconds", defaults.seconds or fallback.seconds)
    return Shape(width, height, int(fps), float(seconds))


def resolve_engine(
    runtime: Runtime, *, task: Task, engine: str | None, model: str | None
) -> tuple[str, dict[str, Any]]:
    """Map an ``engine`` name or a ``model`` id to (engine, extra params).

    ``reelvault-<engine>`` names an engine directly; any other model id is looked up in
    the engines that host models (the ``diffusers`` engine's catalogue).
    """
    if engine:
        return engine, {}
    if not model:
        return DEFAULT_ENGINES[task], {}
    names = runtime.registry.names()
    if model.startswith(MODEL_PREFIX) and model.removeprefix(MODEL_PREFIX) in names:
        return model.removeprefix(MODEL_PREFIX), {}
    if model in names:
        return model, {}
    if resolving_waits(runtime, engine=engine, model=model):
        for candidate in runtime.registry:
            if candidate.hosts_model(model):
                return candidate.name, {"model": model}
    known = ", ".join(MODEL_PREFIX + name for name in names)
    raise EngineNotFoundError(f"unknown model {model!r} (available: {known})", param="model")


def resolving_waits(runtime: Runtime, *, engine: str | None, model: str | None) -> bool:
    """Whether :func:`resolve_engine` must look ``model`` up in a catalogue (files on disk).

    The API resolves the others on its event loop; these go to a thread.
    """
    return not (
        engine or not model or model.startswith(MODEL_PREFIX) or model in runtime.registry.names()
    )


def preparing_waits(runtime: Runtime, request: JobRequest) -> bool:
    """Whether :func:`prepare_job` would wait on the network or the database.

    It does for a webhook URL (its host is resolved, to refuse private addresses), for
    an engine that sends data to a provider (the owner's consent is read) and for a
    prompt that a moderator plug-in reads (it may take its time: only the built-in rule
    list is known to be quick). Everything else it checks is in memory, so the API
    prepares those jobs on its event loop.
    """
    if request.webhook_url is not None:
        return True
    if any(
        moderator.checks_text and moderator.name != BUILTIN_RULES_MODERATOR
        for moderator in runtime.moderation.moderators
    ):
        return True
    try:
        return not runtime.registry.get(request.engine).runs_locally
    except EngineNotFoundError:
        return False  # unknown engine: refused without waiting


def validate_request(runtime: Runtime, request: JobRequest) -> tuple[Engine, EngineParams]:
    """Check everything a client sent before anything is stored.

    Whether the owner may have new work at all (a restriction they asked for) is their
    current state, not part of the request: :func:`admit_and_store` reads it, once per batch.
    """
    if request.output_format not in OUTPUT_FORMATS:
        raise ValidationError(f"format must be one of: {', '.join(OUTPUT_FORMATS)}", param="format")
    engine = runtime.registry.get(request.engine)
    if request.task not in engine.tasks:
        tasks = ", ".join(sorted(task.value for task in engine.tasks))
        raise ValidationError(
            f"engine {engine.name} cannot do {request.task.value} (it does: {tasks})",
            param="task",
        )
    prompt = (request.prompt or "").strip()
    # An extension without words goes on with its source's scene (kept prompt, checked
    # when it is derived: reelvault.jobs.derive).
    if request.task is Task.TEXT_TO_VIDEO and not prompt and request.derivation != "extension":
        raise ValidationError("the prompt is empty", param="prompt")
    if request.prompt is not None:
        limit = runtime.settings.max_prompt_chars
        if len(prompt) > limit:
            raise ValidationError(
                f"the prompt has {len(prompt)} characters; the limit is {limit}", param="prompt"
            )
    engine.limits.check(
        width=request.width, height=request.height, fps=request.fps, seconds=request.seconds
    )
    if request.webhook_url is not None:
        webhooks.check_webhook_url(
            request.webhook_url, allow_private=runtime.settings.webhook_allow_private
        )
    if request.seed is not None and not 0 <= request.seed <= MAX_SEED:
        raise ValidationError(f"seed must be between 0 and {MAX_SEED}", param="seed")
    params = parse_params(engine, request.params)
    if not engine.runs_locally:
        # Data would leave this machine: only with the owner's opt-in for that provider.
        check_provider_consent(runtime, request.owner_id, engine, request, params=params)
    return engine, params


REQUIRED_INPUTS: dict[Task, frozenset[str]] = {
    Task.TEXT_TO_VIDEO: frozenset(),
    Task.IMAGE_TO_VIDEO: frozenset({"image"}),
    Task.DANCE: frozenset({"image", "reference_video"}),
}


INPUT_KIND_PREFIX = "input_"


def check_inputs(task: Task, uploads: Sequence[UploadedInput], engine: Engine) -> None:
    names = [upload.name for upload in uploads]
    required = REQUIRED_INPUTS[task]
    missing = sorted(required - set(names))
    if missing:
        raise ValidationError(f"{task.value} needs {' and '.join(missing)}", param=missing[0])
    extra = sorted(set(names) - required)
    if extra:
        raise ValidationError(f"{task.value} takes no {extra[0]}", param=extra[0])
    if len(names) != len(set(names)):
        raise ValidationError("each input may be sent once", param=names[0])
    for upload in uploads:
        if upload.media_type.kind == "motion" and not engine.reads_motion:
            raise UnsupportedMediaError(
                f"the {engine.name} engine dances from a video, not a BVH motion file "
                "(see GET /api/v1/engines: reads_motion)",
                param=upload.name,
            )


__all__ = [
    "INPUT_KIND_PREFIX",
    "JobRequest",
    "MAX_SEED",
    "MODEL_PREFIX",
    "OUTPUT_FORMATS",
    "REQUIRED_INPUTS",
    "Shape",
    "check_inputs",
    "fill_shape",
    "preparing_waits",
    "resolve_engine",
    "resolving_waits",
    "validate_request",
]
