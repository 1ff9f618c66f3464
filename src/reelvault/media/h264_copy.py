"""Copy an H.264 MP4's video packets into a new MP4 as they are (an extension's source).

An extended video starts with its source's frames. Decoding them and encoding them
again costs time and a generation of quality (about 33-36 dB PSNR); copying the source's
compressed packets keeps them bit for bit. That is only possible when the new part's
encoder would write the same stream: the same codec, size, frame rate, pixel format
and sequence/picture parameter sets (SPS/PPS). An MP4 track has one ``avcC`` with one
set of them, so a source made by another encoder, or by ours with other settings, is
decoded and re-encoded instead (see :func:`reelvault.media.encode.encode_h264`).

Two details of the format:

* An MP4 stores each NAL unit behind its length (``avcC`` style), while libx264 hands
  the muxer Annex B packets (start codes), and FFmpeg's MP4 muxer converts every packet
  of a track whose parameter sets are Annex B. Copied packets are therefore rewritten
  to Annex B, so the muxer turns them back into exactly the bytes they were.
* Timestamps become frame indices at the output's frame rate; the encoder's frames
  continue from the first index after the copied ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from reelvault.media.containers import open_input

_START_CODE = b"\x00\x00\x00\x01"


def _nal_units_annexb(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B byte stream (3- or 4-byte start codes)."""
    units: list[bytes] = []
    position = data.find(b"\x00\x00\x01")
    while position != -1:
        start = position + 3
        following = data.find(b"\x00\x00\x01", start)
        end = len(data) if following == -1 else following
        unit = data[start:end]
        if following != -1 and unit.endswith(b"\x00"):
            unit = unit[:-1]  # the first zero of the next 4-byte start code
        if unit:
            units.append(unit)
        position = following
    return units


def avcc_parameter_sets(extradata: bytes) -> tuple[int, list[bytes]] | None:
    """(NAL length size, SPS and PPS units) of an ``avcC`` record; None if it is not one."""
    if len(extradata) < 7 or extradata[0] != 1:
        return None
    length_size = (extradata[4] & 0x03) + 1
    units: list[bytes] = []
    position = 5
    for count_mask in (0x1F, 0xFF):  # SPS count (5 bits), then PPS count (8 bits)
        if position >= len(extradata):
            return None
        count = extradata[position] & count_mask
        position += 1
        for _ in range(count):
            size = int.from_bytes(extradata[position : position + 2], "big")
            position += 2
            unit = extradata[position : position + size]
            if len(unit) != size:
                return None
            units.append(unit)
            position += size
    return length_size, units


def parameter_sets(extradata: bytes) -> list[bytes]:
    """The SPS/PPS units of either form of H.264 extradata (``avcC`` or Annex B)."""
    parsed = avcc_parameter_sets(extradata)
    return parsed[1] if parsed is not None else _nal_units_annexb(extradata)


def to_annexb(sample: bytes, length_size: int) -> bytes:
    """One MP4 sample (length-prefixed NAL units) as an Annex B packet."""
    out = bytearray()
    position = 0
    while position + length_size <= len(sample):
        size = int.from_bytes(sample[position : position + length_size], "big")
        position += length_size
        out += _START_CODE + sample[position : position + size]
        position += size
    return bytes(out)


@dataclass(frozen=True)
class _Sample:
    data: bytes
    pts: int  # in frames of the output's rate
    dts: int
    keyframe: bool


@dataclass(frozen=True)
class CopyableLead:
    """A source whose packets the output can start with, read and checked in full."""

    samples: tuple[_Sample, ...]

    @property
    def frame_count(self) -> int:
        return len(self.samples)


def _frame_index(value: int, time_base: Fraction, fps: int) -> int | None:
    exact = value * time_base * fps
    return int(exact) if exact.denominator == 1 else None


def read_copyable_lead(
    path: Path, *, encoder_extradata: bytes, fps: int, width: int, height: int
) -> CopyableLead | None:
    """The source's packets, when they can open a stream the encoder continues; else None.

    Copyable means: H.264 in yuv420p at ``width``x``height``; every timestamp on a frame
    of ``fps``, each frame shown once from 0 on; the same SPS/PPS as the encoder's
    (``encoder_extradata``, after the encoder opened), so one ``avcC`` describes both.
    """
    try:
        container = open_input(path)
    except (av.FFmpegError, OSError):
        return None
    try:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        context = stream.codec_context
        if (
            context.name != "h264"
            or (context.width, context.height) != (width, height)
            or context.pix_fmt != "yuv420p"
            or stream.time_base is None
        ):
            return None
        avcc = avcc_parameter_sets(bytes(context.extradata or b""))
        if avcc is None or avcc[1] != parameter_sets(encoder_extradata):
            return None
        length_size = avcc[0]
        samples: list[_Sample] = []
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None or packet.dts is None:
                continue
            pts = _frame_index(packet.pts, stream.time_base, fps)
            dts = _frame_index(packet.dts, stream.time_base, fps)
            if pts is None or dts is None:
                return None  # a variable or other frame rate
            samples.append(
                _Sample(to_annexb(bytes(packet), length_size), pts, dts, packet.is_keyframe)
            )
    except av.FFmpegError:
        return None
    finally:
        container.close()
    shown = sorted(sample.pts for sample in samples)
    if not samples or shown != list(range(len(samples))) or not samples[0].keyframe:
        return None
    return CopyableLead(tuple(samples))


def packets(lead: CopyableLead, stream: Any, fps: int) -> Iterator[av.Packet[Any]]:
    """The lead's packets, ready to mux into ``stream`` (the encoder's output stream)."""
    time_base = Fraction(1, fps)
    for sample in lead.samples:
        packet = av.Packet(sample.data)
        packet.pts = sample.pts
        packet.dts = sample.dts
        packet.time_base = time_base
        packet.is_keyframe = sample.keyframe
        packet.stream = stream
        yield packet


__all__ = [
    "CopyableLead",
    "avcc_parameter_sets",
    "packets",
    "parameter_sets",
    "read_copyable_lead",
    "to_annexb",
]
