"""encode_h264(audio_source=...): the reference's music is kept, cut to the video."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from reelvault.media import encode_h264

DANCE = Path(__file__).parents[2] / "data" / "SYNTHETIC_dance_moves_576.mp4"


def _tone(path: Path, seconds: float) -> None:
    rate = 44100
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=rate, layout="stereo")
        stream.time_base = Fraction(1, rate)
        samples = int(seconds * rate)
        t = np.arange(samples) / rate
        wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for start in range(0, samples, 1024):
            chunk = np.ascontiguousarray(np.stack([wave[start : start + 1024]] * 2))
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def frames(count: int) -> list[np.ndarray]:
    return [np.full((32, 48, 3), i * 9, np.uint8) for i in range(count)]


@pytest.mark.parametrize("overlap", [True, False])
def test_audio_is_muxed_and_trimmed(tmp_path: Path, overlap: bool) -> None:
    music = tmp_path / "music.m4a"
    _tone(music, 3.0)
    out = tmp_path / "out.mp4"
    result = encode_h264(
        iter(frames(25)),
        out,
        fps=25,
        width=48,
        height=32,
        audio_source=music,
        overlap=overlap,
        preset="ultrafast",
    )
    assert result.has_audio
    with av.open(str(out)) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        decoded = sum(frame.samples for frame in container.decode(audio))
    # One second of video: about one second of audio (AAC works in 1024-sample blocks).
    assert decoded / audio.codec_context.sample_rate == pytest.approx(1.0, abs=0.05)


def test_source_without_audio_gives_a_silent_video(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    result = encode_h264(iter(frames(5)), out, fps=25, width=48, height=32, audio_source=DANCE)
    assert not result.has_audio
    with av.open(str(out)) as container:
        assert not container.streams.audio


def test_a_failing_renderer_stops_the_encoder_thread(tmp_path: Path) -> None:
    def broken():
        yield from frames(3)
        raise RuntimeError("renderer broke")

    out = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError, match="renderer broke"):
        encode_h264(broken(), out, fps=25, width=48, height=32)
    assert not out.exists()
