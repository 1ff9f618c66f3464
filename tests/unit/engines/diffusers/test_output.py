"""A pipeline's output as the job's frames and sound: an extension's skipped part left out."""

from __future__ import annotations

import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from reelvault.engines.diffusers.output import video_frames

RATE = 1000  # samples a second: one frame at 10 fps is 100 samples


def _vocoder_pipeline() -> SimpleNamespace:
    return SimpleNamespace(
        vocoder=SimpleNamespace(config=SimpleNamespace(output_sampling_rate=RATE))
    )


def test_the_sound_of_skipped_frames_is_left_out_with_them(tmp_path: Path) -> None:
    # 3 frames at 10 fps; the first is an extension's picture made again, not the job's.
    frames = np.stack([np.full((4, 4, 3), value, np.float32) for value in (0.0, 0.5, 1.0)])
    # Its sound: 0.1 for the first frame's 100 samples, then 0.5.
    sound = np.concatenate([np.full(100, 0.1), np.full(200, 0.5)]).astype(np.float32)
    output = SimpleNamespace(frames=frames[np.newaxis], audio=sound[np.newaxis, np.newaxis])
    video = video_frames(
        output,
        _vocoder_pipeline(),
        expected=(2, 4, 4),
        skip=1,
        fps=10,
        with_audio=True,
        scratch_dir=tmp_path,
        pipeline_class="LTX2ImageToVideoPipeline",
    )
    assert [int(frame[0, 0, 0]) for frame in video.frames] == [128, 255]
    assert video.audio_path is not None
    with wave.open(str(video.audio_path)) as track:
        samples = np.frombuffer(track.readframes(track.getnframes()), dtype="<i2")
    assert len(samples) == 200  # the two kept frames' length
    assert np.all(np.abs(samples / 32767 - 0.5) < 0.001)  # none of the skipped frame's sound
