"""The model catalogue: which models the diffusers engine knows, and what each accepts.

Built-in entries come from ``models.yaml`` next to this module; a deployment adds its
own in ``<models_dir>/models.yaml`` (same schema). An id appearing twice is an error,
never a silent override. A model may also be named by an absolute path to a folder
written by ``save_pretrained``: it then gets the limits of its pipeline family.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reelvault.config import Settings
from reelvault.errors import ConfigError, NotFoundError, ReelvaultError
from reelvault.media.sizes import parse_size
from reelvault.types import Task

USER_CATALOGUE = "models.yaml"
ANY_SIZE = "any"

Family = Literal[
    "wan", "wan_animate", "wan_vace", "ltx", "ltx2", "cogvideox", "sana", "hunyuan15", "skyreels"
]
VideoMode = Literal["remix", "extension", "edit"]
"""How a video is made from another (OpenAI's names): the keys of ``video_pipelines``."""

DEFAULT_ALLOW_PATTERNS: tuple[str, ...] = (
    # A diffusers folder: the index, each component's config, weights (safetensors only,
    # so repos that also ship .bin/.pth copies are not downloaded twice) and tokenizers.
    "model_index.json",
    "*/*.json",
    "*/*.safetensors",
    "*/*.model",
    "*/*.txt",
    # Chat templates (transformers 5 writes them beside the tokenizer): HunyuanVideo 1.5
    # formats its prompt with Qwen2.5-VL's.
    "*/*.jinja",
)


VramSource = Literal["card", "derived", "estimate"]
"""Where an entry's ``vram_gb`` comes from: the model card's own figure, a figure computed
from the card's (e.g. its offloaded minimum scaled back to every component on the GPU),
or our estimate (the card gives none, or it was not checked against the card)."""

AUDIO_FAMILIES: frozenset[str] = frozenset({"ltx2"})
"""Families whose pipelines make a sound track with the picture."""


class ModelCard(BaseModel):
    """Where an entry's figures come from: the model card, as read when it was written.

    Built-in entries all have one (a test says so); it is optional for a user's own
    entries. ``revision`` is the commit of the card (or of the README it repeats) that
    the figures were read from; ``None`` when the card was not read for them. What
    ``models pull`` fetches is pinned separately, in the model folder's manifest.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(min_length=1, max_length=500, pattern=r"^https://")
    revision: str | None = Field(default=None, max_length=100)
    vram_gb_source: VramSource
    card_vram_gb: float | None = Field(default=None, gt=0)
    """The card's own memory figure (GB), when it gives one; ``vram_gb`` is it, or is
    derived from it, when ``vram_gb_source`` says so."""
    card_vram_offload: bool = False
    """Whether the card's figure is with CPU offload enabled."""
    figures: str = Field(default="", max_length=1000)
    """What the card says about memory and time (with offload, where it says so), quoted;
    empty when it gives none."""
    notes: str = Field(default="", max_length=1000)
    """Other provenance: where the licence and defaults were read, what is our choice."""

    def model_post_init(self, context: Any, /) -> None:
        if self.vram_gb_source != "estimate" and self.card_vram_gb is None:
            raise ValueError(f"vram_gb_source {self.vram_gb_source} needs the card_vram_gb")


class ModelSpec(BaseModel):
    """One catalogue entry (see models.yaml for the meaning of each field)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    family: Family
    pipelines: dict[Task, str] = Field(min_length=1)
    video_pipelines: dict[VideoMode, str] = Field(default_factory=dict)
    """Pipelines that make a video from another one, for the remix, extension and edit
    jobs (see derived.py); what a model has none for, it is refused."""
    repo: str | None = None
    revision: str = "main"
    allow_patterns: tuple[str, ...] = DEFAULT_ALLOW_PATTERNS
    path: Path | None = None
    sizes: tuple[str, ...] = Field(min_length=1)
    default_size: str
    max_frames: int = Field(ge=1, le=10_000)
    default_frames: int = Field(ge=1, le=10_000)
    fps: tuple[int, ...] = Field(min_length=1)
    steps: int = Field(ge=1, le=500)
    guidance: float = Field(ge=0.0, le=50.0)
    dtype: Literal["bfloat16", "float16", "float32"] = "bfloat16"
    vram_gb: float = Field(gt=0)
    licence: str = "unknown"
    description: str = ""
    card: ModelCard | None = None

    @field_validator("sizes")
    @classmethod
    def _sizes_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for size in value:
            if size != ANY_SIZE:
                try:
                    parse_size(size)
                except ReelvaultError as exc:  # pydantic reports ValueErrors with the field
                    raise ValueError(exc.message) from None
        return value

    @field_validator("path")
    @classmethod
    def _path_absolute(cls, value: Path | None) -> Path | None:
        if value is not None and not value.expanduser().is_absolute():
            raise ValueError("path must be absolute")
        return value.expanduser() if value is not None else None

    def model_post_init(self, context: Any, /) -> None:
        if self.default_size not in self.sizes:
            raise ValueError(f"default_size {self.default_size} is not one of sizes")
        if self.repo is None and self.path is None:
            raise ValueError("an entry needs a Hugging Face repo or a local path")

    @property
    def size_pairs(self) -> list[tuple[int, int]]:
        return [parse_size(size) for size in self.sizes if size != ANY_SIZE]

    @property
    def default_size_pair(self) -> tuple[int, int] | None:
        """The model's own size; None for a local folder (any size of the family's step)."""
        return None if self.any_size else parse_size(self.default_size)

    @property
    def any_size(self) -> bool:
        """True for a local folder: sizes are checked against the family's step only."""
        return ANY_SIZE in self.sizes

    @property
    def default_fps(self) -> int:
        return self.fps[0]

    @property
    def default_seconds(self) -> float:
        return round(self.default_frames / self.default_fps, 2)

    def folder(self, settings: Settings) -> Path:
        """Where the weights are (or will be, once pulled)."""
        if self.path is not None:
            return self.path
        return settings.resolved_models_dir / self.id


def _entries(data: Any, source: str) -> list[ModelSpec]:
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise ConfigError(f"{source}: expected a top-level 'models:' list")
    specs: list[ModelSpec] = []
    for position, raw in enumerate(data["models"]):
        try:
            specs.append(ModelSpec.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "entry"
            raise ConfigError(
                f"{source}: model #{position + 1}: {where}: {first['msg']}", param="models"
            ) from None
    return specs


@cache
def builtin_catalogue() -> tuple[ModelSpec, ...]:
    text = files("reelvault.engines.diffusers").joinpath("models.yaml").read_text("utf-8")
    return tuple(_entries(yaml.safe_load(text), "built-in models.yaml"))


def user_catalogue(settings: Settings) -> list[ModelSpec]:
    path = settings.resolved_models_dir / USER_CATALOGUE
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML ({type(exc).__name__})") from None
    return _entries(data, str(path))


def catalogue(settings: Settings | None = None) -> list[ModelSpec]:
    """Every known model: the built-ins, then the deployment's own additions."""
    specs = list(builtin_catalogue())
    if settings is not None:
        seen = {spec.id.lower() for spec in specs}
        for spec in user_catalogue(settings):
            if spec.id.lower() in seen:
                raise ConfigError(
                    f"model id {spec.id!r} in {USER_CATALOGUE} is already taken; pick another id",
                    param="models",
                )
            seen.add(spec.id.lower())
            specs.append(spec)
    return specs


def find_model(model_id: str, settings: Settings | None = None) -> ModelSpec:
    """The catalogue entry for an id or Hugging Face repo id, or a local folder's spec.

    Raises :class:`NotFoundError` listing the known ids.
    """
    wanted = model_id.strip()
    if Path(wanted).expanduser().is_absolute():
        return spec_for_folder(Path(wanted).expanduser())
    specs = catalogue(settings)
    for spec in specs:
        if wanted.lower() in {spec.id.lower(), (spec.repo or "").lower()}:
            return spec
    known = ", ".join(spec.id for spec in specs)
    raise NotFoundError(f"unknown model {wanted!r} (known: {known})", param="model")


# Pipeline class -> (family, task). Used for local folders, whose model_index.json names
# the class they were saved from; a family's sibling pipelines load from the same folder.
PIPELINE_CLASSES: dict[str, tuple[Family, Task]] = {
    "WanPipeline": ("wan", Task.TEXT_TO_VIDEO),
    "WanImageToVideoPipeline": ("wan", Task.IMAGE_TO_VIDEO),
    "WanAnimatePipeline": ("wan_animate", Task.DANCE),
    "LTXPipeline": ("ltx", Task.TEXT_TO_VIDEO),
    "LTXImageToVideoPipeline": ("ltx", Task.IMAGE_TO_VIDEO),
    "LTX2Pipeline": ("ltx2", Task.TEXT_TO_VIDEO),
    "LTX2ImageToVideoPipeline": ("ltx2", Task.IMAGE_TO_VIDEO),
    "CogVideoXPipeline": ("cogvideox", Task.TEXT_TO_VIDEO),
    "CogVideoXImageToVideoPipeline": ("cogvideox", Task.IMAGE_TO_VIDEO),
    "SanaVideoPipeline": ("sana", Task.TEXT_TO_VIDEO),
    "SanaImageToVideoPipeline": ("sana", Task.IMAGE_TO_VIDEO),
    "HunyuanVideo15Pipeline": ("hunyuan15", Task.TEXT_TO_VIDEO),
    "HunyuanVideo15ImageToVideoPipeline": ("hunyuan15", Task.IMAGE_TO_VIDEO),
    "SkyReelsV2DiffusionForcingPipeline": ("skyreels", Task.TEXT_TO_VIDEO),
    "SkyReelsV2DiffusionForcingImageToVideoPipeline": ("skyreels", Task.IMAGE_TO_VIDEO),
    "WanVACEPipeline": ("wan_vace", Task.TEXT_TO_VIDEO),
}
SIBLINGS: dict[str, str] = {
    "LTXPipeline": "LTXImageToVideoPipeline",
    "LTXImageToVideoPipeline": "LTXPipeline",
    "SanaVideoPipeline": "SanaImageToVideoPipeline",
    "SanaImageToVideoPipeline": "SanaVideoPipeline",
    "LTX2Pipeline": "LTX2ImageToVideoPipeline",
    "LTX2ImageToVideoPipeline": "LTX2Pipeline",
    "SkyReelsV2DiffusionForcingPipeline": "SkyReelsV2DiffusionForcingImageToVideoPipeline",
    "SkyReelsV2DiffusionForcingImageToVideoPipeline": "SkyReelsV2DiffusionForcingPipeline",
}
# What a folder's pipeline class can also make from a video (the same components load as
# these classes).
FOLDER_VIDEO_PIPELINES: dict[str, dict[VideoMode, str]] = {
    "WanPipeline": {"remix": "WanVideoToVideoPipeline"},
    "WanVACEPipeline": {"edit": "WanVACEPipeline"},
    "SkyReelsV2DiffusionForcingPipeline": {
        "extension": "SkyReelsV2DiffusionForcingVideoToVideoPipeline"
    },
    "SkyReelsV2DiffusionForcingImageToVideoPipeline": {
        "extension": "SkyReelsV2DiffusionForcingVideoToVideoPipeline"
    },
}
# What a folder of unknown provenance may be asked for: sizes are any multiple of the
# family's spatial step in this list, frames up to max.
FOLDER_LIMITS: dict[Family, dict[str, Any]] = {
    "wan": {"max_frames": 81, "fps": (16,), "steps": 50, "guidance": 5.0},
    "wan_animate": {"max_frames": 309, "fps": (30,), "steps": 20, "guidance": 1.0},
    "ltx": {"max_frames": 161, "fps": (24, 25, 30), "steps": 50, "guidance": 3.0},
    "ltx2": {"max_frames": 257, "fps": (24, 25, 30), "steps": 40, "guidance": 4.0},
    "cogvideox": {"max_frames": 49, "fps": (8,), "steps": 50, "guidance": 6.0},
    "sana": {"max_frames": 81, "fps": (16,), "steps": 50, "guidance": 6.0},
    "hunyuan15": {"max_frames": 121, "fps": (24,), "steps": 50, "guidance": 6.0},
    # 30 s at 24 fps, in overlapping windows.
    "skyreels": {"max_frames": 721, "fps": (24,), "steps": 50, "guidance": 6.0},
    "wan_vace": {"max_frames": 81, "fps": (16,), "steps": 50, "guidance": 5.0},
}


def spec_for_folder(folder: Path) -> ModelSpec:
    """A spec for a local diffusers folder, from the pipeline class in its model_index.json.

    Sizes are not known for such a folder, so any size is listed as allowed here; the
    engine checks it against the family's spatial step instead.
    """
    index = folder / "model_index.json"
    if not index.is_file():
        raise NotFoundError(
            f"model folder {folder} has no model_index.json (not a diffusers pipeline folder)",
            param="model",
        )
    try:
        class_name = str(json.loads(index.read_text("utf-8"))["_class_name"])
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{index} is not a valid model_index.json") from None
    if class_name not in PIPELINE_CLASSES:
        known = ", ".join(sorted(PIPELINE_CLASSES))
        raise NotFoundError(
            f"model folder {folder} holds a {class_name}, which the diffusers engine does not "
            f"run (supported: {known})",
            param="model",
        )
    family, task = PIPELINE_CLASSES[class_name]
    pipelines = {task: class_name}
    sibling = SIBLINGS.get(class_name)
    if sibling is not None:
        pipelines[PIPELINE_CLASSES[sibling][1]] = sibling
    limits = FOLDER_LIMITS[family]
    return ModelSpec(
        id=folder.name if folder.name[:1].isalnum() else "local-model",
        family=family,
        pipelines=pipelines,
        video_pipelines=FOLDER_VIDEO_PIPELINES.get(class_name, {}),
        path=folder,
        sizes=(ANY_SIZE,),
        default_size=ANY_SIZE,
        max_frames=limits["max_frames"],
        default_frames=min(limits["max_frames"], 49),
        fps=limits["fps"],
        steps=limits["steps"],
        guidance=limits["guidance"],
        dtype="bfloat16",
        vram_gb=24.0,
        licence="see the model folder",
        description=f"local {class_name} folder",
    )


__all__ = [
    "ANY_SIZE",
    "DEFAULT_ALLOW_PATTERNS",
    "USER_CATALOGUE",
    "VramSource",
    "AUDIO_FAMILIES",
    "ModelCard",
    "ModelSpec",
    "VideoMode",
    "builtin_catalogue",
    "catalogue",
    "find_model",
    "spec_for_folder",
    "user_catalogue",
]
