"""The sound of an extension: the source's track, then the new part's, as one WAV file.

An extension's video is the source's frames followed by the new ones (the runner joins
them). Its sound must line up the same way: the source's own track for exactly the
source's length, then the track the engine made for the new part, or silence where it
made none. Where no new sound follows, the source's fades out over its last quarter
second instead of stopping with a click; where one does, both sides of the join get a
few milliseconds' ramp, the usual cure for the click of two waveforms that do not meet.

The file is written into the job's scratch folder, like every decoded input, and the
encoder muxes it as AAC (:class:`reelvault.media.audio.AudioTrack`).
"""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from reelvault.errors import UnsupportedMediaError
from reelvault.media.containers import open_input

FADE_OUT_SECONDS = 0.25
"""How long the source's sound takes to fade out where nothing follows it."""
JOIN_RAMP_SECONDS = 0.01
"""The ramp on each side of a join between two tracks."""
STITCHED_FILENAME = "stitched_audio.wav"
_MAX_RATE = 48000
_CHANNELS = 2

Samples = npt.NDArray[np.float32]  # (channels, samples), -1..1


def _decode(path: Path, rate: int | None) -> tuple[Samples, int] | None:
    """The first audio stream of ``path`` as stereo float samples (at ``rate`` if given,
    else at its own, up to 48 kHz), or None when it has none."""
    try:
        container = open_input(path)
    except av.FFmpegError:
        raise UnsupportedMediaError("the audio source is corrupt or truncated") from None
    with container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        if rate is None:
            rate = min(int(stream.codec_context.sample_rate or 44100), _MAX_RATE)
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
        pieces: list[Samples] = []
        try:
            for frame in container.decode(stream):
                pieces.extend(
                    np.asarray(out.to_ndarray(), dtype=np.float32)
                    for out in resampler.resample(frame)
                )
        except av.FFmpegError:
            pass  # a damaged tail: keep the sound that decoded, as players do
        pieces.extend(
            np.asarray(out.to_ndarray(), dtype=np.float32) for out in resampler.resample(None)
        )
    if not pieces:
        return np.zeros((_CHANNELS, 0), dtype=np.float32), rate
    return np.concatenate(pieces, axis=1), rate


def _fitted(samples: Samples, length: int) -> Samples:
    """Exactly ``length`` samples: cut, or made up with silence."""
    fitted = np.zeros((_CHANNELS, length), dtype=np.float32)
    kept = min(length, samples.shape[1])
    fitted[:, :kept] = samples[:, :kept]
    return fitted


def _ramp(samples: Samples, count: int, *, down: bool) -> None:
    """Fade the last (``down``) or first ``count`` samples to or from silence, in place."""
    count = min(count, samples.shape[1])
    if count < 1:
        return
    gain = np.linspace(1.0, 0.0, count, dtype=np.float32)
    if down:
        samples[:, samples.shape[1] - count :] *= gain
    else:
        samples[:, :count] *= gain[::-1]


def stitch_soundtrack(
    lead: Path, lead_seconds: float, tail: Path | None, folder: Path
) -> Path | None:
    """The sound of ``lead`` (the source's video) for ``lead_seconds``, then that of
    ``tail`` (the new part's track) or nothing, as a WAV file in ``folder``; None when
    neither has sound."""
    source = _decode(lead, None)
    rate = source[1] if source is not None else None
    new = _decode(tail, rate) if tail is not None else None
    if source is None and new is None:
        return None
    rate = rate if rate is not None else new[1] if new is not None else 44100
    head = _fitted(
        source[0] if source is not None else np.zeros((_CHANNELS, 0), np.float32),
        round(lead_seconds * rate),
    )
    if new is None:
        _ramp(head, round(FADE_OUT_SECONDS * rate), down=True)
        joined = head
    else:
        body = new[0].copy()
        ramp = round(JOIN_RAMP_SECONDS * rate)
        _ramp(head, ramp, down=True)
        _ramp(body, ramp, down=False)
        joined = np.concatenate([head, body], axis=1)
    pcm = (np.clip(joined, -1.0, 1.0) * 32767.0).round().astype("<i2")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STITCHED_FILENAME
    with wave.open(str(path), "wb") as out:
        out.setnchannels(_CHANNELS)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.ascontiguousarray(pcm.T).tobytes())
    return path


__all__ = ["FADE_OUT_SECONDS", "JOIN_RAMP_SECONDS", "STITCHED_FILENAME", "stitch_soundtrack"]
