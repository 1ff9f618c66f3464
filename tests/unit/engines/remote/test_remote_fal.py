"""The fal.ai queue protocol against a local fake: sequence, retention headers, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelvault.engines.remote import RemoteEngine
from reelvault.errors import EngineError, JobCancelledError
from reelvault.types import Task
from tests.unit.engines.remote.conftest import Progress, consume, remote_config, request_for
from tests.unit.engines.remote.fakes import FakeFal, reply_json

MODEL = "fal-ai/kling-video/v2/master/text-to-video"


def engine_for(tmp_path: Path, fal: FakeFal, **overrides: object) -> RemoteEngine:
    return RemoteEngine(None, config=remote_config(tmp_path, fal=fal, **overrides))


def test_queue_sequence_to_frames(tmp_path: Path, fal: FakeFal) -> None:
    engine = engine_for(tmp_path, fal)
    progress = Progress()
    request = request_for(engine, tmp_path / "job1", model=MODEL, input={"duration": "5"})
    video = engine.run(request, progress)
    assert (video.width, video.height, video.fps) == (576, 576, 30)
    assert consume(video) == video.frame_count == 120
    submit = fal.requests_to("/fal-ai/kling-video/v2/master/text-to-video", "POST")[0]
    assert submit.headers["authorization"] == "Key test-key"
    assert submit.headers["x-fal-store-io"] == "0"
    assert json.loads(submit.headers["x-fal-object-lifecycle-preference"]) == {
        "expiration_duration_seconds": 3600
    }
    assert json.loads(submit.body) == {"prompt": "a fox running through snow", "duration": "5"}
    # Status and result live under owner/app, without the endpoint path.
    statuses = fal.requests_to("/fal-ai/kling-video/requests/", "GET")
    assert any("logs=1" in seen.path for seen in statuses)
    # The CDN never sees the key.
    assert "authorization" not in fal.requests_to("/cdn/out.mp4")[0].headers
    stages = [stage for _, stage in progress.reports]
    assert "queued at fal.ai (position 0)" in stages and "generating at fal.ai" in stages
    fractions = [fraction for fraction, _ in progress.reports]
    assert fractions == sorted(fractions) and fractions[-1] <= 1.0
    assert not fal.cancelled
    assert not list((tmp_path / "ledger").glob("*.json"))


def test_image_goes_inline_as_a_data_uri(tmp_path: Path, fal: FakeFal) -> None:
    engine = engine_for(tmp_path, fal)
    request = request_for(
        engine, tmp_path / "job", model="fal:fal-ai/wan-i2v", task=Task.IMAGE_TO_VIDEO
    )
    consume(engine.run(request, Progress()))
    body = json.loads(fal.requests_to("/fal-ai/wan-i2v", "POST")[0].body)
    assert body["image_url"].startswith("data:image/jpeg;base64,")


def test_cancel_mid_run_cancels_at_fal(tmp_path: Path, fal: FakeFal) -> None:
    fal.behaviour.statuses = ["IN_PROGRESS"]
    engine = engine_for(tmp_path, fal)
    with pytest.raises(JobCancelledError):
        engine.run(request_for(engine, tmp_path / "job", model=MODEL), Progress(cancel_after=5))
    assert len(fal.cancelled) == 1
    assert fal.requests_to("/cancel", "PUT")[0].headers["authorization"] == "Key test-key"


def test_deadline_fails_cleanly_and_cancels(tmp_path: Path, fal: FakeFal) -> None:
    fal.behaviour.statuses = ["IN_QUEUE"]
    engine = engine_for(tmp_path, fal, timeout_seconds=0.6)
    with pytest.raises(EngineError, match=r"did not finish within 0.6 s"):
        engine.run(request_for(engine, tmp_path / "job", model=MODEL), Progress())
    assert len(fal.cancelled) == 1


def test_429_retry_after_is_honoured(tmp_path: Path, fal: FakeFal) -> None:
    fal.behaviour.submit_errors = [reply_json(429, {"detail": "slow down"}, {"Retry-After": "1"})]
    engine = engine_for(tmp_path, fal)
    consume(engine.run(request_for(engine, tmp_path / "job", model=MODEL), Progress()))
    submits = fal.requests_to("/fal-ai/kling-video/v2", "POST")
    assert len(submits) == 2


def test_429_beyond_the_bound_fails(tmp_path: Path, fal: FakeFal) -> None:
    fal.behaviour.submit_errors = [reply_json(429, {}, {"Retry-After": "3600"})]
    engine = engine_for(tmp_path, fal)
    with pytest.raises(EngineError, match=r"rate-limiting .*3600 s"):
        engine.run(request_for(engine, tmp_path / "job", model=MODEL), Progress())


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (reply_json(401, {"detail": "Invalid key"}), "refused the API key .*revoked"),
        (reply_json(500, {"detail": "boom"}), "server error \\(HTTP 500\\)"),
        (
            reply_json(
                422,
                {
                    "detail": [
                        {
                            "loc": ["body", "duration"],
                            "msg": "Input should be '5' or '10'",
                            "input": "a fox running through snow",
                        }
                    ]
                },
            ),
            "HTTP 422.*body.duration: Input should be",
        ),
    ],
)
def test_submit_errors_are_clear_and_payload_free(
    tmp_path: Path, fal: FakeFal, reply: tuple[int, dict[str, str], bytes], message: str
) -> None:
    fal.behaviour.submit_errors = [reply]
    engine = engine_for(tmp_path, fal)
    with pytest.raises(EngineError, match=message) as caught:
        engine.run(request_for(engine, tmp_path / "job", model=MODEL), Progress())
    assert "fox" not in str(caught.value)


def test_revoked_key(tmp_path: Path, fal: FakeFal) -> None:
    from pydantic import SecretStr

    engine = engine_for(tmp_path, fal, fal_key=SecretStr("revoked"))
    with pytest.raises(EngineError, match="refused the API key"):
        engine.run(request_for(engine, tmp_path / "job", model=MODEL), Progress())


def test_model_failure_and_malformed_results(tmp_path: Path, fal: FakeFal) -> None:
    engine = engine_for(tmp_path, fal)
    fal.behaviour.completed_error = "Runner disconnected"
    with pytest.raises(EngineError, match=r"could not generate the video \(runner_disconnected\)"):
        engine.run(request_for(engine, tmp_path / "a", model=MODEL), Progress())
    fal.behaviour.completed_error = None
    fal.behaviour.result = {"images": []}
    with pytest.raises(EngineError, match="without a video"):
        engine.run(request_for(engine, tmp_path / "b", model=MODEL), Progress())
    fal.behaviour.result = None
    fal.behaviour.output = b"this is not a video"
    video = None
    with pytest.raises(EngineError, match="not a playable video"):
        video = engine.run(request_for(engine, tmp_path / "c", model=MODEL), Progress())
    assert video is None


def test_slow_status_answers_time_out(tmp_path: Path, fal: FakeFal) -> None:
    fal.behaviour.status_delay = 1.5
    engine = engine_for(tmp_path, fal, read_timeout=0.3, timeout_seconds=3.0)
    with pytest.raises(EngineError, match=r"did not answer in time|did not finish"):
        engine.run(request_for(engine, tmp_path / "job", model=MODEL), Progress())


def test_private_output_urls_are_refused_by_default(tmp_path: Path, fal: FakeFal) -> None:
    engine = engine_for(tmp_path, fal, allow_private=False)
    with pytest.raises(EngineError, match=r"not https|private address"):
        engine.run(request_for(engine, tmp_path / "job", model=MODEL), Progress())


def test_a_dead_attempts_request_is_cancelled_by_the_retry(tmp_path: Path, fal: FakeFal) -> None:
    fal.behaviour.statuses = ["IN_PROGRESS"]
    engine = engine_for(tmp_path, fal)
    calls = {"n": 0}

    class Killed(BaseException):
        """Stands in for the worker process dying: no clean-up code runs after it."""

    def dying(fraction: float, stage: str) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise Killed

    # Simulate a death: skip the engine's own cancel by making cancel unreachable.
    provider = engine.providers["fal"]
    original_cancel = provider.cancel
    provider.cancel = lambda handle: None  # type: ignore[method-assign]
    original_clear = engine.ledger.clear
    engine.ledger.clear = lambda key: None  # type: ignore[method-assign]
    with pytest.raises(Killed):
        engine.run(request_for(engine, tmp_path / "job-x", model=MODEL), dying)
    provider.cancel = original_cancel  # type: ignore[method-assign]
    engine.ledger.clear = original_clear  # type: ignore[method-assign]
    assert len(list((tmp_path / "ledger").glob("*.json"))) == 1
    first = next(iter(fal.polls))
    fal.behaviour.statuses = ["IN_QUEUE", "COMPLETED"]
    consume(engine.run(request_for(engine, tmp_path / "job-x", model=MODEL), Progress()))
    assert fal.cancelled == [first]
    assert not list((tmp_path / "ledger").glob("*.json"))
