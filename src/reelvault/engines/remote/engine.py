"""The ``remote`` engine: hosted models at fal.ai or Replicate, or an operator's ComfyUI.

A job names its model with the provider in front (``params.model``, or ``model=`` in
the API):

* ``fal-ai/kling-video/v2/master/text-to-video`` or ``fal:OWNER/APP/...``: fal.ai
* ``replicate:OWNER/NAME`` or ``replicate:OWNER/NAME:VERSION``: Replicate
* ``comfyui``: the ComfyUI server and workflow configured by the operator

Sending anything is the job service's decision, not this engine's: a job reaches
:meth:`RemoteEngine.run` only after the owner's opt-in for that provider was checked
(:mod:`reelvault.jobs.consent_gate`, which asks :meth:`RemoteEngine.outbound`). The
provider's video is downloaded into scratch and decoded here, so the usual encode,
watermark and content-credential path applies to it as to any local engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from pydantic import Field, field_validator

from reelvault.engines.base import (
    EngineBase,
    EngineLimits,
    EngineParams,
    Frame,
    GenerationRequest,
    Outbound,
    ProgressCallback,
    VideoFrames,
)
from reelvault.engines.remote.comfyui import ComfyUIProvider
from reelvault.engines.remote.config import RemoteConfig
from reelvault.engines.remote.fal import FalProvider
from reelvault.engines.remote.http import Deadline, best_effort
from reelvault.engines.remote.job import (
    Provider,
    RemoteHandle,
    RemoteJob,
    RequestLedger,
    Watch,
)
from reelvault.engines.remote.replicate import ReplicateProvider, parse_model
from reelvault.errors import EngineError, UnsupportedMediaError, ValidationError
from reelvault.media.decode import iter_video_frames
from reelvault.media.probe import probe_video
from reelvault.types import Task

DOWNLOADED = 0.92
MAX_OUTPUT_SECONDS = 120.0
FIELD_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"  # a provider's input name, not free text
CONTENT_KEYS = frozenset({"prompt", "negative_prompt", "image", "image_url", "video", "video_url"})


class RemoteParams(EngineParams):
    """Options of the remote engine."""

    # ``input`` values are whatever a client typed: prompt data, like the negative prompt.
    free_text_fields: ClassVar[frozenset[str]] = frozenset({"negative_prompt", "input"})
    identifier_fields: ClassVar[frozenset[str]] = frozenset({"model", "image_input", "video_input"})

    model: str = Field(
        min_length=1,
        max_length=300,
        description="Provider and model: fal-ai/... (or fal:OWNER/APP/...), "
        "replicate:OWNER/NAME[:VERSION], or comfyui.",
    )
    input: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description="Extra model options passed to the provider as they are (e.g. "
        '{"duration": "5", "aspect_ratio": "16:9"}); not for content.',
    )
    negative_prompt: str | None = Field(
        None, max_length=2000, description="What the video should not show."
    )
    image_input: str | None = Field(
        None,
        max_length=64,
        pattern=FIELD_NAME,
        description="Name of the model's image input (default: "
        "image_url at fal.ai, image at Replicate).",
    )
    video_input: str | None = Field(
        None,
        max_length=64,
        pattern=FIELD_NAME,
        description="Name of the model's reference-video input "
        "(default: video_url at fal.ai, video at Replicate).",
    )

    @field_validator("input")
    @classmethod
    def _options_only(
        cls, value: dict[str, str | int | float | bool]
    ) -> dict[str, str | int | float | bool]:
        # The prompt and the files are sent from the job itself, never from options.
        if len(value) > 32:
            raise ValueError("at most 32 options")
        for key, item in value.items():
            if key in CONTENT_KEYS:
                raise ValueError(f"{key} is sent from the job itself, not from input")
            if isinstance(item, str) and (len(item) > 200 or item.startswith("data:")):
                raise ValueError(f"option {key} is too long for an option")
        return value


def parse_target(model: str) -> tuple[str, str]:
    """``params.model`` -> (provider name, the provider's own model id)."""
    model = model.strip()
    if model.startswith("fal:"):
        name, inner = "fal", model.removeprefix("fal:").strip("/")
    elif model.startswith("fal-ai/"):
        name, inner = "fal", model.strip("/")
    elif model.startswith("replicate:"):
        name, inner = "replicate", model.removeprefix("replicate:")
        parse_model(inner)
    elif model in ("comfyui", "comfyui:"):
        return "comfyui", ""
    else:
        raise ValidationError(
            "a remote model is fal-ai/..., fal:OWNER/APP/..., replicate:OWNER/NAME or comfyui",
            param="model",
        )
    if name == "fal" and (inner.count("/") < 1 or ".." in inner.split("/") or "?" in inner):
        raise ValidationError("a fal.ai model id is OWNER/APP[/PATH]", param="model")
    return name, inner


def _even(value: int) -> int:
    return value - value % 2


class RemoteEngine(EngineBase):
    """Generates at a third-party provider, only for owners who opted in to it."""

    name: ClassVar[str] = "remote"
    description: ClassVar[str] = (
        "Hosted video models at fal.ai (Kling, Wan, Seedance, LTX...) or Replicate, or an "
        "operator's ComfyUI server. Prompt and inputs leave this machine, so each owner "
        "must opt in for that provider first."
    )
    tasks: ClassVar[frozenset[Task]] = frozenset(Task)
    device: ClassVar[str] = "remote"
    runs_locally: ClassVar[bool] = False
    neural: ClassVar[bool] = True
    wants_settings: ClassVar[bool] = True
    params_model: ClassVar[type[EngineParams]] = RemoteParams
    # The provider's model decides the real size and length; these bound the request.
    limits: ClassVar[EngineLimits] = EngineLimits(
        max_width=3840, max_height=3840, max_pixels=3840 * 2160, max_seconds=60.0
    )

    def __init__(
        self,
        settings: Any,
        *,
        config: RemoteConfig | None = None,
        providers: Mapping[str, Provider] | None = None,
    ) -> None:
        self.config = config if config is not None else RemoteConfig.from_settings(settings)
        self.providers: dict[str, Provider] = dict(
            providers
            or {
                "fal": FalProvider(self.config),
                "replicate": ReplicateProvider(self.config),
                "comfyui": ComfyUIProvider(self.config),
            }
        )
        self.ledger = RequestLedger(self.config.ledger_dir)

    # -- what the job service asks before anything is stored --------------------------

    def hosts_model(self, model: str) -> bool:
        """True for provider-prefixed ids (``fal-ai/...``, ``replicate:...``, ``comfyui``)."""
        try:
            parse_target(model)
        except ValidationError:
            return False
        return True

    def enabled(self, provider: str) -> bool:
        return {
            "fal": self.config.fal_enabled,
            "replicate": self.config.replicate_enabled,
            "comfyui": self.config.comfyui_enabled,
        }.get(provider, False)

    def outbound(self, task: Task, params: EngineParams, *, prompt: bool) -> Outbound | None:
        """What this job would send and to which provider; None if nothing leaves.

        Raises :class:`ValidationError` when the model names a provider this server has
        not configured.
        """
        if not isinstance(params, RemoteParams):
            raise ValidationError("the remote engine needs params.model", param="model")
        provider, _ = parse_target(params.model)
        if not self.enabled(provider):
            raise ValidationError(
                f"the remote provider {provider} is not configured on this server", param="model"
            )
        if provider == "comfyui" and self.config.comfyui_is_own_server:
            return None  # the operator's own machine: no third party involved
        sends = ["prompt"] if prompt else []
        if params.negative_prompt:
            sends.append("negative prompt")
        if task in (Task.IMAGE_TO_VIDEO, Task.DANCE):
            sends.append("image")
        if task is Task.DANCE:
            sends.append("reference video")
        return Outbound(provider=provider, title=self.providers[provider].title, sends=tuple(sends))

    def processors(self) -> list[dict[str, str]]:
        """The providers this engine is configured for: each is a processor to disclose."""
        return processors_of(self.config)

    # -- the run ------------------------------------------------------------------------

    def _job(self, request: GenerationRequest, params: RemoteParams, model: str) -> RemoteJob:
        image = request.inputs.get("image")
        reference = request.inputs.get("reference_video")
        if request.task in (Task.IMAGE_TO_VIDEO, Task.DANCE) and (
            image is None or not image.is_file()
        ):
            raise ValidationError(f"{request.task.value} needs an image", param="image")
        if request.task is Task.DANCE and (reference is None or not reference.is_file()):
            raise ValidationError("dance needs a reference video", param="reference_video")
        if request.task is Task.TEXT_TO_VIDEO and not (request.prompt or "").strip():
            raise ValidationError("text_to_video needs a prompt", param="prompt")
        return RemoteJob(
            task=request.task,
            model=model,
            width=request.width,
            height=request.height,
            fps=request.fps,
            seconds=request.seconds,
            seed=request.seed,
            scratch_dir=request.scratch_dir,
            prompt=(request.prompt or "").strip() or None,
            negative_prompt=params.negative_prompt,
            image=image if request.task is not Task.TEXT_TO_VIDEO else None,
            reference_video=reference if request.task is Task.DANCE else None,
            extra_input=dict(params.input),
            image_field=params.image_input,
            video_field=params.video_input,
        )

    def run(self, request: GenerationRequest, progress: ProgressCallback) -> VideoFrames:
        params = request.params
        if not isinstance(params, RemoteParams):
            raise ValidationError("the remote engine needs params.model", param="model")
        name, model = parse_target(params.model)
        if not self.enabled(name):
            raise EngineError(f"the remote provider {name} is not configured on this server")
        provider = self.providers[name]
        job = self._job(request, params, model)
        key = request.scratch_dir.name
        self._cancel_stale(key)
        handle = RemoteHandle(provider=name)
        watch = Watch(
            progress=lambda fraction, stage: progress(fraction * DOWNLOADED, stage),
            deadline=Deadline(provider.title, self.config.timeout_seconds),
            handle=handle,
            noted=lambda current: self.ledger.note(key, current),
        )
        try:
            path = provider.run(job, watch)
        except BaseException:
            # Cancelled, timed out, failed: stop paying for work nobody will collect.
            if handle.request_id and not handle.finished:
                best_effort(lambda: provider.cancel(handle))
            raise
        finally:
            best_effort(lambda: provider.cleanup(handle))
            self.ledger.clear(key)
        return self._frames(path, provider.title, progress)

    def _cancel_stale(self, key: str) -> None:
        """A previous attempt of this job died mid-request: cancel it before starting anew."""
        self.ledger.prune()
        stale = self.ledger.take(key)
        if stale is None or stale.provider not in self.providers:
            return
        previous = self.providers[stale.provider]
        if stale.request_id and not stale.finished:
            best_effort(lambda: previous.cancel(stale))
        best_effort(lambda: previous.cleanup(stale))

    def _frames(self, path: Any, title: str, progress: ProgressCallback) -> VideoFrames:
        try:
            info = probe_video(path)
        except UnsupportedMediaError:
            raise EngineError(f"{title} returned a file that is not a playable video") from None
        fps = max(1, min(60, round(info.fps or 24)))
        width, height = _even(info.width), _even(info.height)
        if width < 16 or height < 16:
            raise EngineError(f"{title} returned a video too small to use")
        seconds = min(
            info.duration_seconds or info.frame_count / max(info.fps, 1.0), MAX_OUTPUT_SECONDS
        )
        count = max(1, round(seconds * fps))
        resize = (width, height) if (width, height) != (info.width, info.height) else None

        def stream() -> Iterator[Frame]:
            emitted = 0
            last: Frame | None = None
            try:
                for frame in iter_video_frames(path, fps=fps, size=resize, max_frames=count):
                    last = frame
                    emitted += 1
                    if emitted % 8 == 0:
                        progress(DOWNLOADED + (1 - DOWNLOADED) * emitted / count, "decoding")
                    yield frame
            except UnsupportedMediaError:
                raise EngineError(f"{title} returned a video that cannot be decoded") from None
            if last is None:
                raise EngineError(f"{title} returned a video without frames")
            while emitted < count:  # a short last GOP: hold the last frame
                emitted += 1
                yield last

        return VideoFrames(
            frames=stream(),
            frame_count=count,
            fps=fps,
            width=width,
            height=height,
            audio_path=path if info.has_audio else None,
        )


def processors(settings: Any) -> list[dict[str, str]]:
    """The third parties this deployment can send data to, for ``/privacy``."""
    return processors_of(RemoteConfig.from_settings(settings))


def processors_of(config: RemoteConfig) -> list[dict[str, str]]:
    """One entry per configured provider: ``provider`` is the name its consent purpose
    (``provider:<provider>``) uses, ``name`` the name people know it by.

    Only providers that are configured; a ComfyUI server marked as the operator's own
    (``comfyui_is_own_server``) is no third party and is left out.
    """
    found: list[dict[str, str]] = []
    if config.fal_enabled:
        found.append(
            {
                "provider": "fal",
                "name": "fal.ai",
                "purpose": "provider:fal",
                "url": "https://fal.ai",
                "role": "AI infrastructure provider; runs the video model the job names "
                "(for example Kling, Wan, Seedance or LTX)",
                "retention": "Request and response payloads are not stored (X-Fal-Store-IO: 0); "
                "inputs are sent inline, never to fal storage; generated files expire from "
                "fal's CDN after 1 hour.",
            }
        )
    if config.replicate_enabled:
        found.append(
            {
                "provider": "replicate",
                "name": "Replicate",
                "purpose": "provider:replicate",
                "url": "https://replicate.com",
                "role": "AI infrastructure provider; runs the video model the job names",
                "retention": "Replicate deletes the inputs, outputs and logs of API predictions "
                "after 1 hour; input files uploaded for a job are deleted when it ends.",
            }
        )
    if config.comfyui_enabled and not config.comfyui_is_own_server:
        from urllib.parse import urlsplit

        found.append(
            {
                "provider": "comfyui",
                "name": "ComfyUI server",
                "purpose": "provider:comfyui",
                "url": f"{urlsplit(config.comfyui_url or '').hostname or ''}",
                "role": "a ComfyUI server run by someone other than this service's operator",
                "retention": "The workflow history (with the prompt) is deleted when the job "
                "ends; uploaded inputs and generated files stay on that server until its "
                "operator removes them.",
            }
        )
    return found


__all__ = [
    "Outbound",
    "RemoteEngine",
    "RemoteParams",
    "parse_target",
    "processors",
    "processors_of",
]
