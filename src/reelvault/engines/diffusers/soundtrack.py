"""The audio a pipeline generated with its video, written as a WAV for the encoder.

Pipelines that make sound (LTX-2) return ``output.audio``: a waveform tensor of shape
``(batch, channels, samples)`` in [-1, 1] at their vocoder's output rate. The runner's
encoder muxes an audio *file* (as it does a dance reference's music), so the first
video's track is written to the job's scratch folder, cut or padded with silence to the
video's exact length: the MP4's audio then ends with its last frame.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np

SOUNDTRACK_FILENAME = "soundtrack.wav"


def sample_rate(pipeline: Any) -> int | None:
    """The rate of the pipeline's waveform (its vocoder's output rate), if it has one."""
    config = getattr(getattr(pipeline, "vocoder", None), "config", None)
    rate = getattr(config, "output_sampling_rate", None)
    return int(rate) if rate else None


def write_soundtrack(audio: Any, rate: int, seconds: float, folder: Path) -> Path:
    """Write the first item of ``audio`` as 16-bit PCM WAV of exactly ``seconds``."""
    tensor = audio.float().cpu() if hasattr(audio, "float") else audio
    waveform = np.asarray(tensor, dtype=np.float32)
    if waveform.ndim == 3:
        waveform = waveform[0]
    if waveform.ndim == 1:
        waveform = waveform[np.newaxis, :]
    length = round(seconds * rate)
    fitted = np.zeros((waveform.shape[0], length), dtype=np.float32)
    kept = min(length, waveform.shape[1])
    fitted[:, :kept] = waveform[:, :kept]
    pcm = (np.clip(fitted, -1.0, 1.0) * 32767.0).round().astype("<i2")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SOUNDTRACK_FILENAME
    with wave.open(str(path), "wb") as out:
        out.setnchannels(int(pcm.shape[0]))
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.ascontiguousarray(pcm.T).tobytes())
    return path


__all__ = ["SOUNDTRACK_FILENAME", "sample_rate", "write_soundtrack"]
