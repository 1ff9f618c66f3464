"""Carry a source file's audio into an output MP4: decode, resample, AAC, trimmed.

The track is written incrementally (:meth:`AudioTrack.advance_to`) while the video is
encoded, so audio and video packets interleave in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from reelvault.errors import UnsupportedMediaError
from reelvault.media.containers import open_input

_MAX_RATE = 48000


class AudioTrack:
    """The first audio stream of a source file, re-encoded as AAC into ``container``."""

    def __init__(
        self,
        source: av.container.InputContainer,
        output: av.container.OutputContainer,
    ) -> None:
        self._source = source
        in_stream = source.streams.audio[0]
        rate = int(in_stream.codec_context.sample_rate or 44100)
        self.rate = rate if rate <= _MAX_RATE else _MAX_RATE
        self._output = output
        self._stream = output.add_stream("aac", rate=self.rate, layout="stereo")
        self._stream.time_base = Fraction(1, self.rate)
        self._stream.codec_context.bit_rate = 128_000
        self._resampler = av.AudioResampler(format="fltp", layout="stereo", rate=self.rate)
        self._frames = self._decoded(in_stream)
        self.samples_written = 0
        self._exhausted = False

    @classmethod
    def open(cls, path: Path, output: av.container.OutputContainer) -> AudioTrack | None:
        """The track of ``path``, or None when the file has no audio stream."""
        try:
            source = open_input(path)
        except av.FFmpegError:
            raise UnsupportedMediaError("the audio source is corrupt or truncated") from None
        if not source.streams.audio:
            source.close()
            return None
        return cls(source, output)

    def _decoded(self, stream: av.AudioStream) -> Iterator[av.AudioFrame]:
        try:
            for frame in self._source.decode(stream):
                yield from self._resampler.resample(frame)
        except av.FFmpegError:
            # A damaged tail: keep the audio that decoded (players do the same).
            pass
        yield from self._resampler.resample(None)

    def advance_to(self, seconds: float) -> None:
        """Encode and mux source audio up to ``seconds`` of output time."""
        self._write_until(round(seconds * self.rate))

    def finish(self, seconds: float) -> None:
        """Write audio up to exactly ``seconds`` (the video's length), then flush."""
        self._write_until(round(seconds * self.rate), exact=True)
        for packet in self._stream.encode(None):
            self._output.mux(packet)

    def _write_until(self, target: int, *, exact: bool = False) -> None:
        while self.samples_written < target and not self._exhausted:
            frame = next(self._frames, None)
            if frame is None:
                self._exhausted = True
                return
            samples = frame.samples
            if exact and self.samples_written + samples > target:
                keep = target - self.samples_written
                planes = np.asarray(frame.to_ndarray(), dtype=np.float32)[:, :keep]
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(planes), format="fltp", layout="stereo"
                )
                frame.sample_rate = self.rate
                samples = keep
            frame.pts = self.samples_written
            frame.time_base = Fraction(1, self.rate)
            for packet in self._stream.encode(frame):
                self._output.mux(packet)
            self.samples_written += samples
            if exact and self.samples_written >= target:
                self._exhausted = True

    def close(self) -> None:
        self._source.close()


__all__ = ["AudioTrack"]
