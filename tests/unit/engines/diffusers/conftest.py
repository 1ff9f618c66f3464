"""Tiny pipelines, built once per session, and settings whose catalogue lists them."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest
import yaml

from reelvault.config import Settings
from reelvault.engines.diffusers import DiffusersEngine
from reelvault.testing import settings_for

# Without the diffusers extra (torch, diffusers, transformers) there is nothing to run.
HAVE_EXTRA = all(find_spec(name) for name in ("torch", "diffusers", "transformers"))
collect_ignore_glob = [] if HAVE_EXTRA else ["test_*.py"]

TINY_MODELS: dict[str, dict[str, object]] = {
    "tiny-wan": {
        "family": "wan",
        "pipelines": {"text_to_video": "WanPipeline"},
        "sizes": ["32x32", "48x32"],
        "max_frames": 17,
        "fps": [8],
    },
    "tiny-ltx": {
        "family": "ltx",
        "pipelines": {"text_to_video": "LTXPipeline", "image_to_video": "LTXImageToVideoPipeline"},
        "sizes": ["32x32", "64x32"],
        "max_frames": 17,
        "fps": [8, 24],
    },
    "tiny-animate": {
        "family": "wan_animate",
        "pipelines": {"dance": "WanAnimatePipeline"},
        "sizes": ["32x32"],
        "max_frames": 17,
        "fps": [8],
    },
    "tiny-cogvideox": {
        "family": "cogvideox",
        "pipelines": {"text_to_video": "CogVideoXPipeline"},
        "sizes": ["32x32"],
        "max_frames": 17,
        "fps": [8],
    },
    "tiny-sana": {
        "family": "sana",
        "pipelines": {
            "text_to_video": "SanaVideoPipeline",
            "image_to_video": "SanaImageToVideoPipeline",
        },
        "sizes": ["32x32", "64x32"],
        "max_frames": 17,
        "fps": [8],
    },
}


@pytest.fixture(scope="session", autouse=True)
def _two_threads() -> None:
    import torch

    # The tests are sized for 2 cores; more threads only add contention on tiny tensors.
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def tiny_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tests.unit.engines.diffusers import tiny_models

    root = tmp_path_factory.mktemp("tiny-pipelines")
    return {
        "tiny-wan": tiny_models.build_wan(root / "wan"),
        "tiny-ltx": tiny_models.build_ltx(root / "ltx"),
        "tiny-cogvideox": tiny_models.build_cogvideox(root / "cogvideox"),
        "tiny-animate": tiny_models.build_wan_animate(root / "animate"),
        "tiny-sana": tiny_models.build_sana(root / "sana"),
    }


def write_user_catalogue(settings: Settings, folders: dict[str, Path]) -> None:
    entries = []
    for model_id, entry in TINY_MODELS.items():
        sizes = entry["sizes"]
        assert isinstance(sizes, list)
        fps = entry["fps"]
        assert isinstance(fps, list)
        entries.append(
            {
                "id": model_id,
                "path": str(folders[model_id]),
                "default_size": sizes[0],
                "default_frames": 9,
                "steps": 2,
                "guidance": 3.0,
                "dtype": "float32",
                "vram_gb": 0.1,
                "licence": "test-only",
                **entry,
            }
        )
    models_dir = settings.resolved_models_dir
    models_dir.mkdir(parents=True, exist_ok=True)
    (models_dir / "models.yaml").write_text(yaml.safe_dump({"models": entries}), "utf-8")


@pytest.fixture
def tiny_settings(tmp_path: Path, tiny_folders: dict[str, Path]) -> Settings:
    settings = settings_for(tmp_path, device="cpu")
    write_user_catalogue(settings, tiny_folders)
    return settings


@pytest.fixture(scope="session")
def shared_engine(
    tmp_path_factory: pytest.TempPathFactory, tiny_folders: dict[str, Path]
) -> Iterator[DiffusersEngine]:
    """One engine for the whole session, as a worker process keeps one (its cache warm)."""
    settings = settings_for(tmp_path_factory.mktemp("engine"), device="cpu")
    write_user_catalogue(settings, tiny_folders)
    import torch

    engine = DiffusersEngine(settings, cache_size=2)
    yield engine
    engine.cache.clear(torch)
