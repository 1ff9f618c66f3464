"""The ``diffusers`` engine: Sana-Video, Wan, LTX-Video, LTX-2, HunyuanVideo 1.5, SkyReels-V2,
CogVideoX and Wan-Animate on a local GPU.

A job names a model (``params.model``: a catalogue id or an absolute folder path). The
engine checks the request against what that model accepts (a remix, an edit or an
extension goes to the model's video pipeline: derived.py), loads the pipeline from
disk only (never from the network), runs it with progress and cancellation between
denoising steps, and hands the runner RGB frames (and the sound track of models that
make one). Out-of-memory becomes an
:class:`EngineError` with advice, after which the engine is as usable as before.
"""

from __future__ import annotations

import math
import types
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from reelvault.config import Settings
from reelvault.config_diffusers import AttentionChoice, CacheChoice
from reelvault.engines.base import (
    Derivation,
    EngineBase,
    EngineLimits,
    EngineParams,
    GenerationRequest,
    ModelDefaults,
    ProgressCallback,
    VideoFrames,
)
from reelvault.engines.diffusers import (
    cogvideox,
    hunyuan15,
    ltx,
    ltx2,
    sana,
    skyreels,
    wan,
    wan_animate,
    wan_vace,
)
from reelvault.engines.diffusers.acceleration import Acceleration, choose_acceleration, step_cache
from reelvault.engines.diffusers.call import PipelineCall, PreparedCall, call_scope
from reelvault.engines.diffusers.catalogue import ModelSpec, find_model
from reelvault.engines.diffusers.derived import (
    FramePlan,
    model_derivations,
    plan_derived,
)
from reelvault.engines.diffusers.device import (
    OffloadChoice,
    choose_memory_plan,
    device_budget_gb,
    free_memory,
    is_out_of_memory,
    pick_device,
    pick_dtype,
)
from reelvault.engines.diffusers.loader import PipelineCache, PipelineKey, device_lock
from reelvault.engines.diffusers.output import video_frames
from reelvault.engines.diffusers.wan_animate import MotionConditioner, PoseConditioner
from reelvault.errors import (
    EngineError,
    JobCancelledError,
    NotFoundError,
    ReelvaultError,
    ValidationError,
)
from reelvault.logs import quiet_loaded_libraries
from reelvault.types import Task

FAMILIES: dict[str, types.ModuleType] = {
    "wan": wan,
    "ltx": ltx,
    "ltx2": ltx2,
    "cogvideox": cogvideox,
    "wan_animate": wan_animate,
    "sana": sana,
    "hunyuan15": hunyuan15,
    "skyreels": skyreels,
    "wan_vace": wan_vace,
}

# Shares of the engine's progress: loading, denoising steps, then the VAE decode.
LOADED = 0.05
DENOISED = 0.9


class DiffusersParams(EngineParams):
    """Options of the diffusers engine."""

    free_text_fields: ClassVar[frozenset[str]] = frozenset({"negative_prompt"})
    identifier_fields: ClassVar[frozenset[str]] = frozenset({"model"})

    model: str = Field(
        min_length=1,
        max_length=4096,
        description="A model id from `reelvault models list`, or an absolute path to a "
        "diffusers pipeline folder.",
    )
    steps: int | None = Field(
        None, ge=1, le=200, description="Denoising steps; default: the model's."
    )
    guidance: float | None = Field(
        None, ge=0.0, le=30.0, description="Classifier-free guidance scale; default: the model's."
    )
    negative_prompt: str | None = Field(
        None, max_length=2000, description="What the video should not show."
    )
    allow_resize: bool = Field(
        False,
        description="Use the nearest size and frame rate the model supports instead of "
        "refusing an unsupported one.",
    )
    offload: OffloadChoice = Field(
        "auto",
        description="GPU memory mode: auto (from vram_budget_gb), none, model (CPU offload "
        "per component) or sequential (per layer; slowest, least memory).",
    )
    audio: bool = Field(
        True,
        description="Keep the sound track of models that generate one (LTX-2); false "
        "gives a silent video.",
    )
    cache: CacheChoice | None = Field(
        None,
        description="Step cache: none, first_block, faster, taylorseer or mag; default: the "
        "diffusers_cache setting. A model refuses one its transformer cannot take.",
    )
    compile: bool | None = Field(
        None, description="torch.compile the transformer; default: the diffusers_compile setting."
    )
    attention_backend: AttentionChoice | None = Field(
        None, description="Attention backend; default: the diffusers_attention_backend setting."
    )
    strength: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        description="A remix by a video-to-video model: how much of the source is re-noised "
        "and made again under the new prompt (just above 0: nearly the source; 1: none of "
        "it kept); default 0.8. Set by the remix request.",
    )


def _import_stack() -> tuple[Any, Any]:
    try:
        import diffusers
        import torch
    except ImportError:
        raise EngineError(
            'the diffusers engine needs its extra: pip install "reelvault[diffusers]"'
        ) from None
    # Their own stderr handlers and progress bars go; records pass the guard (logs.py).
    quiet_loaded_libraries()
    return torch, diffusers


def _nearest(pairs: list[tuple[int, int]], width: int, height: int) -> tuple[int, int]:
    """The supported size closest in aspect ratio first, then in area."""

    def distance(pair: tuple[int, int]) -> tuple[float, float]:
        aspect = abs(math.log((pair[0] / pair[1]) / (width / height)))
        area = abs(math.log((pair[0] * pair[1]) / (width * height)))
        return (round(aspect, 3), area)

    return min(pairs, key=distance)


def resolve_size(
    spec: ModelSpec, width: int, height: int, *, allow_resize: bool
) -> tuple[int, int]:
    """The size to generate at, or a ValidationError listing the valid sizes."""
    step: int = FAMILIES[spec.family].SPATIAL_STEP
    if spec.any_size:
        if width % step == 0 and height % step == 0:
            return width, height
        if allow_resize:
            return max(step, round(width / step) * step), max(step, round(height / step) * step)
        raise ValidationError(
            f"size {width}x{height}: model {spec.id} needs a width and height that are "
            f"multiples of {step} (or set allow_resize)",
            param="size",
        )
    pairs = spec.size_pairs
    if (width, height) in pairs:
        return width, height
    if allow_resize:
        return _nearest(pairs, width, height)
    raise ValidationError(
        f"model {spec.id} does not support size {width}x{height}; supported sizes: "
        f"{', '.join(spec.sizes)} (or set allow_resize to use the nearest)",
        param="size",
    )


def resolve_fps(spec: ModelSpec, fps: int, *, allow_resize: bool) -> int:
    if fps in spec.fps:
        return fps
    if allow_resize:
        return min(spec.fps, key=lambda allowed: abs(allowed - fps))
    raise ValidationError(
        f"model {spec.id} generates at {', '.join(map(str, spec.fps))} fps, not {fps} "
        "(or set allow_resize to use the nearest)",
        param="fps",
    )


def native_frames(spec: ModelSpec, wanted: int, fps: int) -> int:
    """The smallest frame count the model can make that holds ``wanted`` frames."""
    step: int = FAMILIES[spec.family].FRAME_STEP
    native = wanted if step == 1 else (math.ceil((wanted - 1) / step) * step + 1)
    if native > spec.max_frames:
        raise ValidationError(
            f"{wanted} frames is more than model {spec.id} makes in one video "
            f"({spec.max_frames} frames, {spec.max_frames / fps:.1f} s at {fps} fps); "
            "ask for fewer seconds",
            param="seconds",
        )
    return native


class DiffusersEngine(EngineBase):
    """Runs Hugging Face diffusers video pipelines from locally installed weights."""

    name: ClassVar[str] = "diffusers"
    description: ClassVar[str] = (
        "Neural video models through Hugging Face diffusers: Sana-Video, Wan 2.1/2.2, "
        "LTX-Video, LTX-2 (with sound), HunyuanVideo 1.5, SkyReels-V2 (long videos) and "
        "CogVideoX for text and image to video, Wan VACE for those and video edits, "
        "Wan 2.1 remixes (video to video), SkyReels-V2 extensions (and every image→video "
        "model's, from the last frame), Wan-Animate for dance. "
        "Weights are "
        "installed with `reelvault models pull`; a GPU is needed for useful speed."
    )
    tasks: ClassVar[frozenset[Task]] = frozenset(
        {Task.TEXT_TO_VIDEO, Task.IMAGE_TO_VIDEO, Task.DANCE}
    )
    device: ClassVar[str] = "cuda"
    runs_locally: ClassVar[bool] = True
    neural: ClassVar[bool] = True
    wants_settings: ClassVar[bool] = True
    params_model: ClassVar[type[EngineParams]] = DiffusersParams
    # What some model can make from a video; each model's own: model_derivations().
    derivations: ClassVar[frozenset[Derivation]] = frozenset(Derivation)
    # Remixes and edits are video to video: they start from the source's frames.
    reads_source_video: ClassVar[bool] = True
    # Broad limits; each model's own sizes, frame rates and lengths are checked in run().
    limits: ClassVar[EngineLimits] = EngineLimits(
        min_width=16, min_height=16, max_pixels=1920 * 1088, min_seconds=0.05
    )

    def __init__(
        self,
        settings: Settings,
        *,
        cache_size: int = 1,
        motion_conditioner: MotionConditioner | None = None,
    ) -> None:
        self.settings = settings
        self.cache = PipelineCache(cache_size)
        self.motion_conditioner: MotionConditioner = motion_conditioner or PoseConditioner()

    def hosts_model(self, model: str) -> bool:
        """True when ``model`` is a catalogue id, a catalogue repo id or a pipeline folder.

        The job service asks this to route ``model=ID`` to this engine.
        """
        try:
            find_model(model, self.settings)
        except ReelvaultError:
            return False
        return True

    def model_derivations(self, params: EngineParams) -> frozenset[Derivation]:
        """What the job's model can make from its videos (the catalogue's ``video_pipelines``);
        none for a model no longer in the catalogue."""
        if not isinstance(params, DiffusersParams):
            return frozenset()
        try:
            return model_derivations(find_model(params.model, self.settings))
        except ReelvaultError:
            return frozenset()

    def model_defaults(self, model: str) -> ModelDefaults:
        """The catalogue's size, frame rate and length for ``model`` (a clear error if unknown)."""
        spec = find_model(model, self.settings)
        return ModelDefaults(
            size=spec.default_size_pair, fps=spec.default_fps, seconds=spec.default_seconds
        )

    # -- checks that need no torch ---------------------------------------------------

    def _params(self, request: GenerationRequest) -> DiffusersParams:
        params = request.params
        if not isinstance(params, DiffusersParams):
            raise ValidationError(
                "the diffusers engine needs a model: pass params.model (see `reelvault models "
                "list`)",
                param="model",
            )
        return params

    def _spec(self, params: DiffusersParams) -> ModelSpec:
        try:
            return find_model(params.model, self.settings)
        except NotFoundError as exc:
            raise ValidationError(exc.message, param="model") from None

    def _folder(self, spec: ModelSpec) -> Path:
        folder = spec.folder(self.settings)
        if not (folder / "model_index.json").is_file():
            if spec.path is not None:
                raise EngineError(f"model {spec.id}: folder {folder} holds no diffusers pipeline")
            raise EngineError(
                f"model {spec.id} is not installed; run `reelvault models pull {spec.id}`"
            )
        return folder

    def _inputs(self, request: GenerationRequest) -> tuple[Any, Path | None]:
        image: Any = None
        reference: Path | None = None
        if request.task in (Task.IMAGE_TO_VIDEO, Task.DANCE):
            path = request.inputs.get("image")
            if path is None or not path.is_file():
                raise ValidationError(f"{request.task.value} needs an image", param="image")
            from PIL import Image, ImageOps

            with Image.open(path) as opened:
                image = ImageOps.exif_transpose(opened).convert("RGB")
        if request.task is Task.DANCE:
            reference = request.inputs.get("reference_video")
            if reference is None or not reference.is_file():
                raise ValidationError("dance needs a reference video", param="reference_video")
        return image, reference

    # -- the run ------------------------------------------------------------------------

    def run(self, request: GenerationRequest, progress: ProgressCallback) -> VideoFrames:
        params = self._params(request)
        spec = self._spec(params)
        if request.task not in spec.pipelines:
            raise ValidationError(
                f"model {spec.id} does not do {request.task.value} (it does "
                f"{', '.join(task.value for task in spec.pipelines)})",
                param="model",
            )
        width, height = resolve_size(
            spec, request.width, request.height, allow_resize=params.allow_resize
        )
        fps = resolve_fps(spec, request.fps, allow_resize=params.allow_resize)
        derived = request.derivation is not None
        # A derived video's frames carry its scene: an extension may come without a prompt.
        if (
            request.task is Task.TEXT_TO_VIDEO
            and not derived
            and not (request.prompt or "").strip()
        ):
            raise ValidationError("text_to_video needs a prompt", param="prompt")
        folder = self._folder(spec)
        shape = self._frame_plan(spec, request, params, size=(width, height), fps=fps)
        image, reference = self._inputs(request)
        if shape.image is not None:  # an extension's: the source's last frame
            image = shape.image
        acceleration = choose_acceleration(
            spec.id,
            spec.family,
            self.settings,
            cache=params.cache,
            compile=params.compile,
            attention_backend=params.attention_backend,
        )

        torch, diffusers = _import_stack()
        device = pick_device(self.settings, torch)
        dtype = pick_dtype(device, spec.dtype, torch)
        plan = choose_memory_plan(
            device=device,
            need_gb=spec.vram_gb,
            budget_gb=device_budget_gb(self.settings, device, torch),
            choice=params.offload,
        )
        key = PipelineKey(
            folder=str(folder.resolve()),
            pipeline_class=shape.pipeline_class,
            device=device,
            dtype=str(dtype).removeprefix("torch."),
            plan=plan,
            tuning=acceleration.load,
        )
        steps = params.steps or spec.steps
        with device_lock(device):
            progress(0.0, "loading model")
            pipeline = self.cache.get(key, diffusers, torch)
            progress(LOADED, "denoising")
            output = self._generate(
                torch,
                pipeline,
                key,
                progress,
                PipelineCall(
                    pipeline_class=key.pipeline_class,
                    prompt=request.prompt or "",
                    negative_prompt=params.negative_prompt or "",
                    width=width,
                    height=height,
                    num_frames=shape.num_frames,
                    fps=fps,
                    steps=steps,
                    guidance=params.guidance if params.guidance is not None else spec.guidance,
                    generator=None,
                    on_step_end=_no_step,
                    image=image,
                    reference_video=reference,
                    video=shape.video,
                    strength=shape.strength,
                    scratch_dir=request.scratch_dir,
                ),
                seed=request.seed,
                spec=spec,
                acceleration=acceleration,
            )
        progress(1.0, "decoding")
        return video_frames(
            output,
            pipeline,
            expected=(shape.keep, height, width),
            skip=shape.skip,
            seam=shape.seam,
            fps=fps,
            # An extension's: the new part's sound, put after the source's by the runner.
            with_audio=params.audio,
            scratch_dir=request.scratch_dir,
            pipeline_class=key.pipeline_class,
        )

    def _frame_plan(
        self,
        spec: ModelSpec,
        request: GenerationRequest,
        params: DiffusersParams,
        *,
        size: tuple[int, int],
        fps: int,
    ) -> FramePlan:
        wanted = max(1, round(request.seconds * fps))
        if request.derivation is None:
            frames = native_frames(spec, wanted, fps)
            return FramePlan(spec.pipelines[request.task], frames, keep=wanted)
        return plan_derived(
            spec,
            request,
            size=size,
            wanted=wanted,
            frame_step=FAMILIES[spec.family].FRAME_STEP,
            steps=params.steps or spec.steps,
            strength=params.strength,
        )

    def _generate(
        self,
        torch: Any,
        pipeline: Any,
        key: PipelineKey,
        progress: ProgressCallback,
        call: PipelineCall,
        *,
        seed: int,
        spec: ModelSpec,
        acceleration: Acceleration,
    ) -> Any:
        device = str(getattr(pipeline, "_execution_device", key.device))
        generator = torch.Generator(device=device).manual_seed(seed)
        counter = {"calls": 0, "expected": call.steps}

        def on_step_end(
            _pipeline: Any, _step: int, _timestep: Any, tensors: dict[str, Any]
        ) -> dict[str, Any]:
            counter["calls"] += 1
            done = min(1.0, counter["calls"] / max(1, counter["expected"]))
            # Raises JobCancelledError when the job was cancelled: the pipeline stops
            # here, between two steps.
            progress(LOADED + (DENOISED - LOADED) * done, "denoising")
            if counter["calls"] == counter["expected"]:
                progress(DENOISED, "decoding")
            return tensors

        call = replace(call, generator=generator, on_step_end=on_step_end)
        family = FAMILIES[spec.family]
        if spec.family == "wan_animate":
            prepared: PreparedCall = wan_animate.prepare(pipeline, call, self.motion_conditioner)
        else:
            prepared = family.prepare(pipeline, call)
        counter["expected"] = prepared.step_calls
        try:
            with (
                step_cache(pipeline, acceleration, call.steps),
                call_scope(pipeline, prepared, on_step_end),
            ):
                return pipeline(**prepared.arguments)
        except JobCancelledError:
            self._release(torch, pipeline)
            raise
        except EngineError:
            self._release(torch, pipeline)
            raise
        except Exception as exc:
            self._release(torch, pipeline)
            if is_out_of_memory(exc, torch):
                raise EngineError(
                    f"out of GPU memory generating {call.width}x{call.height}, "
                    f"{call.num_frames} frames with {spec.id} ({key.plan.describe()}). Try a "
                    "smaller size, fewer seconds, or an offload mode (params offload=model or "
                    "offload=sequential, or a lower vram_budget_gb)"
                ) from None
            # The message of a library error could quote inputs: report its type only.
            raise EngineError(f"{key.pipeline_class} failed ({type(exc).__name__})") from exc

    @staticmethod
    def _release(torch: Any, pipeline: Any) -> None:
        """After a failed or cancelled call: offloaded models back to the CPU, memory freed."""
        release_hooks = getattr(pipeline, "maybe_free_model_hooks", None)
        if callable(release_hooks):
            release_hooks()
        free_memory(torch)


def _no_step(_pipeline: Any, _step: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
    return tensors


__all__ = [
    "DiffusersEngine",
    "DiffusersParams",
    "native_frames",
    "resolve_fps",
    "resolve_size",
]
