"""The seam every engine plugs into.

Engines know nothing of HTTP, the database or the vault: the job runner hands them a
:class:`GenerationRequest` whose input files are already decrypted into the job's
private scratch directory, and a :class:`ProgressCallback`. They return
:class:`VideoFrames`, a lazy stream of RGB frames the runner encodes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from enum import Enum, StrEnum
from pathlib import Path
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    Protocol,
    get_args,
    get_origin,
    runtime_checkable,
)

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from reelvault.errors import EngineError, ValidationError
from reelvault.types import Task

Frame = npt.NDArray[np.uint8]
"""One RGB frame, shape (height, width, 3), dtype uint8."""


class ProgressCallback(Protocol):
    """Report how far an engine is, 0.0-1.0 of its own work, and what it is doing.

    Raises :class:`reelvault.errors.JobCancelledError` when the job was cancelled, so
    an engine that reports progress regularly stops promptly without extra checks.
    """

    def __call__(self, fraction: float, stage: str) -> None: ...


class EngineParams(BaseModel):
    """Base for each engine's own parameter model (unknown fields are refused).

    Every parameter that can hold text is declared in one of two sets, or the engine is
    refused at registration (:func:`check_text_params`):

    * ``free_text_fields``: the user's own words (a negative prompt, free-form provider
      options). They are prompt data: the job service keeps them out of the job's row
      and stores them encrypted with the prompt, redacted where the prompt is kept,
      shredded with it; the runner hands them back to the engine.
    * ``identifier_fields``: strings that name something (a model id, a folder, an
      input's field name), stored with the job's metadata like numbers are.

    ``Literal`` and ``Enum`` parameters need no declaration: they hold only their values.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    free_text_fields: ClassVar[frozenset[str]] = frozenset()
    identifier_fields: ClassVar[frozenset[str]] = frozenset()


# Types whose values cannot spell out words.
_NOT_TEXT = (int, float, complex, Decimal, date, time, timedelta, type(None))


def holds_text(annotation: Any) -> bool:
    """Whether a value of this type can carry arbitrary text (``str`` anywhere inside it)."""
    if annotation is Any or annotation is object:
        return True
    origin = get_origin(annotation)
    if origin is Literal:
        return False  # only the listed values
    if origin is Annotated:
        return holds_text(get_args(annotation)[0])
    if isinstance(annotation, type) and origin is None:
        if issubclass(annotation, Enum):
            return False  # only its members, even a StrEnum
        if issubclass(annotation, BaseModel):
            return any(holds_text(item.annotation) for item in annotation.model_fields.values())
        # Anything else (str, a path, a SecretStr, a URL...) may carry someone's words.
        return not issubclass(annotation, _NOT_TEXT)
    args = get_args(annotation)
    if not args:
        return True  # a type we cannot see into (a TypeVar, a forward reference): assume text
    # Unions, lists, tuples, dicts (keys too): text if any part can hold text.
    return any(holds_text(arg) for arg in args if arg is not Ellipsis)


def check_text_params(engine_name: str, model: type[EngineParams]) -> None:
    """Refuse a parameter model with a text parameter declared neither free text nor id.

    This is what keeps a new string parameter from landing in ``jobs.params`` as plaintext
    unnoticed: its author must say which it is.
    """
    fields = model.model_fields
    free, identifiers = model.free_text_fields, model.identifier_fields
    unknown = sorted((free | identifiers) - set(fields))
    if unknown:
        raise EngineError(f"engine {engine_name}: declared parameters {unknown} do not exist")
    both = sorted(free & identifiers)
    if both:
        raise EngineError(f"engine {engine_name}: {both} cannot be both free text and ids")
    for name, info in fields.items():
        if name in free or name in identifiers or not holds_text(info.annotation):
            continue
        raise EngineError(
            f"engine {engine_name}: parameter {name} can hold text; declare it in "
            "free_text_fields (the user's words: stored encrypted with the prompt) or in "
            "identifier_fields (an id or a name: stored with the job's metadata)"
        )


def split_free_text(
    model: type[EngineParams], values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the parameters stored in the job's row, the free text stored with the prompt).

    Empty free-text values are dropped: the model's default comes back when parsed again.
    """
    kept = dict(values)
    free: dict[str, Any] = {}
    for name in sorted(model.free_text_fields):
        value = kept.pop(name, None)
        if value not in (None, "", [], {}):
            free[name] = value
    return kept, free


@dataclass(frozen=True)
class EngineLimits:
    """What sizes, frame rates and durations an engine accepts.

    The defaults are the shared limits; an engine names only the ones it changes.
    """

    min_width: int = 64
    max_width: int = 1920
    min_height: int = 64
    max_height: int = 1920
    max_pixels: int = 1920 * 1080
    min_fps: int = 1
    max_fps: int = 60
    min_seconds: float = 0.5
    max_seconds: float = 20.0

    def check(self, *, width: int, height: int, fps: int, seconds: float) -> None:
        """Raise :class:`ValidationError` naming the first value out of range."""
        if not self.min_width <= width <= self.max_width:
            raise ValidationError(
                f"width {width} is out of range {self.min_width}-{self.max_width}",
                param="size",
            )
        if not self.min_height <= height <= self.max_height:
            raise ValidationError(
                f"height {height} is out of range {self.min_height}-{self.max_height}",
                param="size",
            )
        if width % 2 or height % 2:
            raise ValidationError(
                f"size {width}x{height}: width and height must be even (H.264 yuv420p)",
                param="size",
            )
        if width * height > self.max_pixels:
            raise ValidationError(
                f"size {width}x{height} has more than {self.max_pixels} pixels", param="size"
            )
        if not self.min_fps <= fps <= self.max_fps:
            raise ValidationError(
                f"fps {fps} is out of range {self.min_fps}-{self.max_fps}", param="fps"
            )
        if not self.min_seconds <= seconds <= self.max_seconds:
            raise ValidationError(
                f"seconds {seconds:g} is out of range {self.min_seconds:g}-{self.max_seconds:g}",
                param="seconds",
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "width": [self.min_width, self.max_width],
            "height": [self.min_height, self.max_height],
            "max_pixels": self.max_pixels,
            "fps": [self.min_fps, self.max_fps],
            "seconds": [self.min_seconds, self.max_seconds],
        }


@dataclass(frozen=True)
class GenerationRequest:
    """Everything an engine needs for one job. Holds no ids that link to a person."""

    task: Task
    width: int
    height: int
    fps: int
    seconds: float
    seed: int
    scratch_dir: Path
    prompt: str | None = None
    params: EngineParams = field(default_factory=EngineParams)
    inputs: Mapping[str, Path] = field(default_factory=dict)
    derivation: Derivation | None = None
    """Set for a video made from another: see :class:`Derivation` and ``Engine.derivations``."""
    source_prompt: str | None = None
    """A remix's or extension's source prompt, where this server's policy still keeps it
    (in memory only; never stored with the new job). None: the new prompt stands alone."""
    start_frame: int = 0
    """An extension renders frames ``start_frame`` to ``frame_count - 1`` only: the frames
    before are the source video's own, which the runner puts in front."""
    timeline_frames: int | None = None
    """An extension's timeline in frames (its line's first video's length): the engine's
    timeline (its camera path, its subjects' paths) is the source's, continued past its
    end, not one stretched over the longer video."""

    @property
    def frame_count(self) -> int:
        return max(1, round(self.seconds * self.fps))

    def __repr__(self) -> str:
        # The prompt is personal data: never let it reach a log through a repr.
        return (
            f"GenerationRequest(task={self.task.value!r}, size={self.width}x{self.height}, "
            f"fps={self.fps}, seconds={self.seconds:g}, seed={self.seed}, prompt=<redacted>)"
        )


@dataclass(frozen=True)
class PromptWords:
    """What a text engine made of a prompt's words: those it drew and those it could not.

    ``drawn`` names what the video shows (subjects, settings, the time of day);
    ``not_drawn`` the words it did not understand, so what they name is missing (nothing
    stands in for it). The prompt's own words: personal data like the prompt, never
    stored or logged apart from it.
    """

    drawn: tuple[str, ...]
    not_drawn: tuple[str, ...]


def prompt_words_of(engine: object, prompt: str) -> PromptWords | None:
    """The engine's report on ``prompt``'s words, for engines that give one (``procedural``:
    a method ``prompt_words(prompt)``); None for the others (a neural model draws what it
    draws and cannot say)."""
    report = getattr(engine, "prompt_words", None)
    if report is None:
        return None
    words = report(prompt)
    return words if isinstance(words, PromptWords) else None


@dataclass
class VideoFrames:
    """A lazy stream of frames plus what the encoder needs to know about it."""

    frames: Iterator[Frame]
    frame_count: int
    fps: int
    width: int
    height: int
    audio_path: Path | None = None


class Derivation(StrEnum):
    """How a video is made from an earlier one (OpenAI's remix, extension and edit).

    * ``remix``: the source's seed and composition (its kept prompt, its inputs) with the
      new prompt's changes applied.
    * ``extension``: the source continued; the engine renders only the frames after it.
    * ``edit``: the source re-rendered following an instruction.
    """

    REMIX = "remix"
    EXTENSION = "extension"
    EDIT = "edit"


@dataclass(frozen=True)
class Outbound:
    """What a job would send out of this machine, and to whom (see :meth:`Engine.outbound`)."""

    provider: str
    title: str
    sends: tuple[str, ...]


@dataclass(frozen=True)
class ModelDefaults:
    """A hosted model's own size, frame rate and length, for what a request leaves out."""

    size: tuple[int, int] | None = None
    fps: int | None = None
    seconds: float | None = None


@runtime_checkable
class Engine(Protocol):
    """What every engine declares and provides (class attributes, see STYLE.md).

    Callers read these and nothing else: no caller asks an engine with ``getattr`` or
    names a particular engine, so a third-party engine gets every behaviour a built-in
    one gets by declaring the same. :class:`EngineBase` holds the defaults.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    tasks: ClassVar[frozenset[Task]]
    device: ClassVar[str]
    runs_locally: ClassVar[bool]
    """False when the engine may send a job's data to a third party (see :meth:`outbound`)."""
    neural: ClassVar[bool]
    """True when the pixels come from a trained model (C2PA ``trainedAlgorithmicMedia``)."""
    wants_settings: ClassVar[bool]
    """True to be constructed with the deployment's Settings (model folders, device, keys)."""
    reads_motion: ClassVar[bool]
    """True when a dance's reference may be a BVH motion-capture file, not only a video."""
    params_model: ClassVar[type[EngineParams]]
    limits: ClassVar[EngineLimits]
    derivations: ClassVar[frozenset[Derivation]]
    """What the engine can make from one of its own earlier videos (empty: none)."""
    reads_source_video: ClassVar[bool]
    """True when a remix or an edit starts from the source video's frames (video to video)
    rather than re-rendering the source's inputs: the job then gets its own copy of the
    source's video as ``inputs["source_video"]``, as an extension always does."""

    def run(self, request: GenerationRequest, progress: ProgressCallback) -> VideoFrames:
        """Produce the video's frames. May be lazy: frames are rendered as iterated."""
        ...

    def hosts_model(self, model: str) -> bool:
        """Whether a request's ``model`` id (not an engine name) is one this engine runs."""
        ...

    def model_derivations(self, params: EngineParams) -> frozenset[Derivation]:
        """What can be made from a video this engine made with ``params`` (its model):
        ``derivations``, or fewer where a model cannot make them."""
        ...

    def model_defaults(self, model: str) -> ModelDefaults:
        """The size, fps and seconds a hosted ``model`` was made for (None: no preference)."""
        ...

    def outbound(self, task: Task, params: EngineParams, *, prompt: bool) -> Outbound | None:
        """The provider and what a job would send it, or None when nothing leaves.

        Asked before anything of the job is stored: the consent gate refuses the job
        unless its owner opted in to that provider.
        """
        ...


ENGINE_DECLARATIONS: tuple[str, ...] = (
    "name",
    "description",
    "tasks",
    "device",
    "runs_locally",
    "neural",
    "wants_settings",
    "reads_motion",
    "params_model",
    "limits",
    "derivations",
    "reads_source_video",
    "run",
    "hosts_model",
    "model_derivations",
    "model_defaults",
    "outbound",
)
"""Every member of :class:`Engine`; the registry refuses a class missing any."""


class EngineBase:
    """Defaults for a local, non-neural engine: subclass it and declare what differs.

    ``name``, ``description``, ``tasks`` and :meth:`run` have no default.
    """

    device: ClassVar[str] = "cpu"
    runs_locally: ClassVar[bool] = True
    neural: ClassVar[bool] = False
    wants_settings: ClassVar[bool] = False
    reads_motion: ClassVar[bool] = False
    params_model: ClassVar[type[EngineParams]] = EngineParams
    limits: ClassVar[EngineLimits] = EngineLimits()
    derivations: ClassVar[frozenset[Derivation]] = frozenset()
    reads_source_video: ClassVar[bool] = False

    def hosts_model(self, model: str) -> bool:
        return False

    def model_derivations(self, params: EngineParams) -> frozenset[Derivation]:
        return self.derivations

    def model_defaults(self, model: str) -> ModelDefaults:
        return ModelDefaults()

    def outbound(self, task: Task, params: EngineParams, *, prompt: bool) -> Outbound | None:
        return None


def missing_declarations(engine_class: type) -> list[str]:
    """The members of :class:`Engine` that ``engine_class`` does not declare."""
    return [member for member in ENGINE_DECLARATIONS if not hasattr(engine_class, member)]


def parse_params(engine: Engine, raw: Mapping[str, Any] | None) -> EngineParams:
    """Validate raw engine parameters against the engine's model, as a ValidationError."""
    from pydantic import ValidationError as PydanticValidationError

    try:
        return engine.params_model.model_validate(dict(raw or {}))
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "params"
        raise ValidationError(
            f"engine {engine.name}: parameter {name}: {first['msg']}", param=name
        ) from None


__all__ = [
    "ENGINE_DECLARATIONS",
    "Derivation",
    "Engine",
    "EngineBase",
    "EngineLimits",
    "EngineParams",
    "Frame",
    "ModelDefaults",
    "GenerationRequest",
    "Outbound",
    "ProgressCallback",
    "PromptWords",
    "VideoFrames",
    "check_text_params",
    "holds_text",
    "missing_declarations",
    "parse_params",
    "prompt_words_of",
    "split_free_text",
]
