"""An extension's sound: the source's track for the source's length, then the new part's."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from reelvault.media.stitch_audio import stitch_soundtrack
from tests.unit.media.test_audio import frames

RATE = 44100


def _wav(path: Path, hertz: float, seconds: float, rate: int = RATE) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    tone = (0.5 * np.sin(2 * np.pi * hertz * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(tone, 2).tobytes())
    return path


def _silent_video(path: Path) -> Path:
    from reelvault.media import encode_h264

    encode_h264(iter(frames(8)), path, fps=8, width=48, height=32, preset="ultrafast")
    return path


def _read(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as source:
        rate = source.getframerate()
        data = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
    return data.reshape(-1, 2)[:, 0].astype(np.float64) / 32767, rate


def _pitch(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2)))


def test_the_source_sound_plays_for_its_length_then_the_new_part_s(tmp_path: Path) -> None:
    source = _wav(tmp_path / "source.wav", 440, 3.0)  # longer than the part kept
    new = _wav(tmp_path / "new.wav", 880, 0.5, rate=22050)  # another rate: resampled
    joined = stitch_soundtrack(source, 1.0, new, tmp_path / "scratch")
    assert joined is not None and joined.parent == tmp_path / "scratch"
    samples, rate = _read(joined)
    assert rate == RATE
    assert abs(len(samples) - 1.5 * RATE) <= 64
    assert abs(_pitch(samples[: RATE - 2000], rate) - 440) < 5
    assert abs(_pitch(samples[RATE + 2000 :], rate) - 880) < 5
    # The source's part is its own sound, level for level, up to the short join ramp.
    assert abs(_rms(samples[:20000]) - 0.5 / np.sqrt(2)) < 0.01


def test_with_no_new_sound_the_source_fades_out_and_silence_follows(tmp_path: Path) -> None:
    source = _wav(tmp_path / "source.wav", 440, 3.0)
    joined = stitch_soundtrack(source, 1.0, None, tmp_path)
    assert joined is not None
    samples, _rate = _read(joined)
    assert abs(len(samples) - RATE) <= 64  # the encoder leaves the rest of the video silent
    assert _rms(samples[: RATE // 2]) > 0.3
    assert np.max(np.abs(samples[-50:])) < 0.01  # no click at the seam
    assert 0.05 < _rms(samples[-RATE // 8 :]) < 0.3  # fading, not cut


def test_a_silent_source_gets_silence_before_the_new_part_and_none_without_it(
    tmp_path: Path,
) -> None:
    source = _silent_video(tmp_path / "silent.mp4")
    assert stitch_soundtrack(source, 1.0, None, tmp_path) is None
    new = _wav(tmp_path / "new.wav", 880, 0.5)
    joined = stitch_soundtrack(source, 1.0, new, tmp_path)
    assert joined is not None
    samples, rate = _read(joined)
    assert np.max(np.abs(samples[: rate - 10])) == 0
    assert abs(_pitch(samples[rate + 1000 :], rate) - 880) < 5
