"""The model catalogue: built-in entries are runnable as declared; user additions load."""

from __future__ import annotations

from pathlib import Path

import diffusers
import pytest
import yaml

from reelvault.config import Settings
from reelvault.engines.diffusers import DiffusersEngine, catalogue, find_model
from reelvault.engines.diffusers.catalogue import builtin_catalogue, spec_for_folder
from reelvault.engines.diffusers.engine import FAMILIES, native_frames
from reelvault.errors import ConfigError, NotFoundError
from reelvault.testing import settings_for
from reelvault.types import Task
from tests.unit.engines.diffusers.conftest import TINY_MODELS

REQUIRED = {
    "WanPipeline",
    "WanImageToVideoPipeline",
    "WanAnimatePipeline",
    "LTXPipeline",
    "LTXImageToVideoPipeline",
    "LTX2Pipeline",
    "LTX2ImageToVideoPipeline",
    "CogVideoXPipeline",
    "CogVideoXImageToVideoPipeline",
    "SanaVideoPipeline",
    "SanaImageToVideoPipeline",
    "HunyuanVideo15Pipeline",
    "HunyuanVideo15ImageToVideoPipeline",
    "SkyReelsV2DiffusionForcingPipeline",
    "SkyReelsV2DiffusionForcingImageToVideoPipeline",
    "WanVACEPipeline",
}
VIDEO_REQUIRED = {
    "WanVideoToVideoPipeline",
    "WanVACEPipeline",
    "SkyReelsV2DiffusionForcingVideoToVideoPipeline",
}


def test_the_builtin_catalogue_covers_every_supported_pipeline() -> None:
    used = {name for spec in builtin_catalogue() for name in spec.pipelines.values()}
    assert used == REQUIRED
    videos = {name for spec in builtin_catalogue() for name in spec.video_pipelines.values()}
    assert videos == VIDEO_REQUIRED
    assert {task for spec in builtin_catalogue() for task in spec.pipelines} == set(Task)


@pytest.mark.parametrize("spec", builtin_catalogue(), ids=lambda spec: spec.id)
def test_each_builtin_entry_is_consistent(spec: object) -> None:
    from reelvault.engines.diffusers.catalogue import ModelSpec

    assert isinstance(spec, ModelSpec)
    family = FAMILIES[spec.family]
    for name in spec.pipelines.values():
        assert hasattr(diffusers, name), name
        assert name in family.PIPELINES
    for name in spec.video_pipelines.values():
        assert hasattr(diffusers, name), name
        assert name in family.VIDEO_PIPELINES
    for width, height in spec.size_pairs:
        assert width % family.SPATIAL_STEP == 0 and height % family.SPATIAL_STEP == 0
    assert native_frames(spec, spec.default_frames, spec.default_fps) == spec.default_frames
    assert spec.repo and spec.licence != "unknown"


def test_models_are_found_by_id_or_repo_case_insensitively() -> None:
    assert find_model("WAN2.1-T2V-1.3B").id == "wan2.1-t2v-1.3b"
    assert find_model("Wan-AI/Wan2.1-T2V-1.3B-Diffusers").id == "wan2.1-t2v-1.3b"
    with pytest.raises(NotFoundError, match=r"known: sana-video-2b-480p, wan2\.1-t2v-1\.3b"):
        find_model("sora")


def test_the_engine_gives_a_hosted_model_its_own_defaults(tmp_path: Path) -> None:
    engine = DiffusersEngine(settings_for(tmp_path))
    assert engine.hosts_model("cogvideox-2b")
    defaults = engine.model_defaults("cogvideox-2b")
    assert defaults.size == (720, 480) and defaults.fps == 8
    assert defaults.seconds == pytest.approx(6.12)
    assert find_model("cogvideox-2b").pipelines.keys() == {Task.TEXT_TO_VIDEO}


def test_user_additions_are_listed_after_the_builtins(tiny_settings: Settings) -> None:
    ids = [spec.id for spec in catalogue(tiny_settings)]
    assert ids[-len(TINY_MODELS) :] == list(TINY_MODELS)
    assert find_model("tiny-ltx", tiny_settings).pipelines[Task.IMAGE_TO_VIDEO] == (
        "LTXImageToVideoPipeline"
    )


def _user_catalogue(tmp_path: Path, entries: object) -> Settings:
    settings = settings_for(tmp_path)
    settings.resolved_models_dir.mkdir(parents=True)
    (settings.resolved_models_dir / "models.yaml").write_text(yaml.safe_dump(entries), "utf-8")
    return settings


def test_a_user_entry_reusing_a_builtin_id_is_an_error(tmp_path: Path) -> None:
    builtin = builtin_catalogue()[0].model_dump(mode="json")
    settings = _user_catalogue(tmp_path, {"models": [builtin]})
    with pytest.raises(ConfigError, match="already taken"):
        catalogue(settings)


def test_a_bad_user_entry_names_the_entry_and_field(tmp_path: Path) -> None:
    settings = _user_catalogue(tmp_path, {"models": [{"id": "x", "family": "sora"}]})
    with pytest.raises(ConfigError, match=r"model #1: family"):
        catalogue(settings)


def test_a_folder_is_described_by_its_model_index(
    tiny_folders: dict[str, Path], tmp_path: Path
) -> None:
    spec = spec_for_folder(tiny_folders["tiny-ltx"])
    assert spec.family == "ltx" and spec.any_size
    assert set(spec.pipelines) == {Task.TEXT_TO_VIDEO, Task.IMAGE_TO_VIDEO}
    with pytest.raises(NotFoundError, match=r"no model_index\.json"):
        spec_for_folder(tmp_path)
