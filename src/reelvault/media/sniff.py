"""Recognise a file's type from its first bytes, never from its name or a client's header."""

from __future__ import annotations

from dataclasses import dataclass

SNIFF_BYTES = 64
"""How many leading bytes :func:`sniff` needs to decide."""


@dataclass(frozen=True)
class MediaType:
    mime: str
    kind: str  # "image", "video" or "motion"
    extension: str


JPEG = MediaType("image/jpeg", "image", ".jpg")
PNG = MediaType("image/png", "image", ".png")
WEBP = MediaType("image/webp", "image", ".webp")
MP4 = MediaType("video/mp4", "video", ".mp4")
QUICKTIME = MediaType("video/quicktime", "video", ".mov")
WEBM = MediaType("video/webm", "video", ".webm")
MATROSKA = MediaType("video/x-matroska", "video", ".mkv")
BVH = MediaType("application/x-bvh", "motion", ".bvh")
"""A BVH motion-capture file: text whose first word is HIERARCHY."""

ALL_TYPES = (JPEG, PNG, WEBP, MP4, QUICKTIME, WEBM, MATROSKA, BVH)

_QUICKTIME_BRANDS = {b"qt  "}


def sniff(head: bytes) -> MediaType | None:
    """The type of a file starting with ``head``, or None when it is none we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        return QUICKTIME if head[8:12] in _QUICKTIME_BRANDS else MP4
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return QUICKTIME
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML: WebM declares its doctype early in the header.
        return WEBM if b"webm" in head[:SNIFF_BYTES] else MATROSKA
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"HIERARCHY"):
        return BVH
    return None


__all__ = [
    "ALL_TYPES",
    "BVH",
    "JPEG",
    "MATROSKA",
    "MP4",
    "PNG",
    "QUICKTIME",
    "SNIFF_BYTES",
    "WEBM",
    "WEBP",
    "MediaType",
    "sniff",
]
