"""The ``procedural`` engine: a text-to-video preview that needs no model weights."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from reelvault.engines.base import (
    Derivation,
    EngineBase,
    EngineLimits,
    EngineParams,
    Frame,
    GenerationRequest,
    ProgressCallback,
    VideoFrames,
)
from reelvault.engines.procedural.remix import remix_scene
from reelvault.engines.procedural.render import SceneRenderer
from reelvault.engines.procedural.scene import PromptWords, parse_prompt, prompt_words
from reelvault.errors import ValidationError
from reelvault.types import Task


class ProceduralParams(EngineParams):
    """Options of the procedural engine."""

    camera: Literal["auto", "static", "pan-left", "pan-right", "push-in", "pull-out"] = Field(
        "auto", description="Camera move; auto picks one from the prompt and the seed."
    )
    style: Literal["flat", "soft"] = Field(
        "soft", description="flat: plain colours; soft: shading, glow and a vignette."
    )
    grain: float = Field(0.2, ge=0.0, le=1.0, description="Film grain, 0 (none) to 1.")


class ProceduralEngine(EngineBase):
    """Composes a stylised animated scene from words in the prompt, on the CPU."""

    name: ClassVar[str] = "procedural"
    description: ClassVar[str] = (
        "Preview engine: composes a stylised animated scene (sky, landscape, water, "
        "weather and simple subjects: animals, insects, people, buildings, vehicles, "
        "plants, food, balloons, boats, birds) from words it recognises in the prompt. "
        "It uses no neural model, so it is fast and runs anywhere, but it only "
        "understands a limited vocabulary: a subject it does not know is left out, not "
        "replaced, and it says which words it drew and which it could not."
    )
    tasks: ClassVar[frozenset[Task]] = frozenset({Task.TEXT_TO_VIDEO})
    device: ClassVar[str] = "cpu"
    runs_locally: ClassVar[bool] = True
    params_model: ClassVar[type[EngineParams]] = ProceduralParams
    limits: ClassVar[EngineLimits] = EngineLimits()
    # A scene is a function of the seed, the prompt's words and time: a remix or an edit
    # composes the same scene with the new words applied; an extension renders on past
    # the source's last frame.
    derivations: ClassVar[frozenset[Derivation]] = frozenset(Derivation)

    @staticmethod
    def prompt_words(prompt: str) -> PromptWords:
        """Which words of ``prompt`` the scene draws, and which it could not (left out)."""
        return prompt_words(prompt)

    def run(self, request: GenerationRequest, progress: ProgressCallback) -> VideoFrames:
        """Frames are rendered lazily, one per iteration, reporting progress after each."""
        if request.task is not Task.TEXT_TO_VIDEO:
            raise ValidationError(
                f"the procedural engine does text_to_video, not {request.task.value}",
                param="task",
            )
        self.limits.check(
            width=request.width, height=request.height, fps=request.fps, seconds=request.seconds
        )
        params = request.params
        if type(params) is not ProceduralParams:
            if type(params) is EngineParams:
                params = ProceduralParams()
            else:
                raise ValidationError(
                    f"the procedural engine needs ProceduralParams, not {type(params).__name__}",
                    param="params",
                )
        prompt = (request.prompt or "").strip()
        if not prompt and not (request.derivation and request.source_prompt):
            raise ValidationError("the procedural engine needs a prompt", param="prompt")

        if request.derivation is None:
            scene = parse_prompt(prompt, request.seed)
        else:
            scene = remix_scene(request.source_prompt, prompt, request.seed)
        count = request.frame_count
        start = min(request.start_frame, count - 1)
        renderer = SceneRenderer(
            scene,
            width=request.width,
            height=request.height,
            fps=request.fps,
            # An extension keeps the source's timeline: its camera move ended with the
            # source (gently, so the seam does not jump) and its subjects move on.
            frame_count=request.timeline_frames or count,
            style=params.style,
            grain=params.grain,
            camera=None if params.camera == "auto" else params.camera,
        )

        def frames() -> Iterator[Frame]:
            for index in range(start, count):
                frame = renderer.render(index)
                progress((index + 1 - start) / (count - start), "rendering")
                yield frame

        return VideoFrames(
            frames=frames(),
            frame_count=count - start,
            fps=request.fps,
            width=request.width,
            height=request.height,
        )


__all__ = ["ProceduralEngine", "ProceduralParams"]
