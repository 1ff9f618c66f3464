"""Live calls to the real providers: run only when their keys are in the environment.

Keys are secrets, so CI never has them: these tests skip there too, on purpose. To run:
``FAL_KEY=... REPLICATE_API_TOKEN=... pytest tests/integration/test_remote_live.py``.
Each makes one short, paid generation (models overridable by REELVAULT_LIVE_FAL_MODEL /
REELVAULT_LIVE_REPLICATE_MODEL).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from reelvault.engines.base import GenerationRequest, parse_params
from reelvault.engines.remote import RemoteConfig, RemoteEngine
from reelvault.types import Task

SKIP_REASON = (
    "needs {key} in the environment (a paid provider key; keys are secrets, so this "
    "skips in CI as well)"
)


def _run(engine: RemoteEngine, tmp_path: Path, model: str) -> None:
    request = GenerationRequest(
        task=Task.TEXT_TO_VIDEO,
        width=640,
        height=360,
        fps=24,
        seconds=2.0,
        seed=1,
        scratch_dir=tmp_path,
        prompt="a red balloon drifting over a calm sea",
        params=parse_params(engine, {"model": model}),
    )
    video = engine.run(request, lambda fraction, stage: None)
    frames = sum(1 for _ in video.frames)
    assert frames == video.frame_count > 0


@pytest.mark.skipif(not os.environ.get("FAL_KEY"), reason=SKIP_REASON.format(key="FAL_KEY"))
def test_fal_live(tmp_path: Path) -> None:
    config = RemoteConfig(fal_key=SecretStr(os.environ["FAL_KEY"]), timeout_seconds=900)
    model = os.environ.get("REELVAULT_LIVE_FAL_MODEL", "fal-ai/ltx-video")
    _run(RemoteEngine(None, config=config), tmp_path, model)


@pytest.mark.skipif(
    not os.environ.get("REPLICATE_API_TOKEN"),
    reason=SKIP_REASON.format(key="REPLICATE_API_TOKEN"),
)
def test_replicate_live(tmp_path: Path) -> None:
    config = RemoteConfig(
        replicate_api_token=SecretStr(os.environ["REPLICATE_API_TOKEN"]), timeout_seconds=900
    )
    model = os.environ.get("REELVAULT_LIVE_REPLICATE_MODEL", "replicate:lightricks/ltx-video")
    _run(RemoteEngine(None, config=config), tmp_path, model)
