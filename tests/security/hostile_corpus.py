"""A hostile-upload corpus, built in code at test time (no binaries are committed).

Every sample is a file a hostile or broken client could upload: decompression bombs
(images whose headers declare huge sizes, zlib bombs), truncations at many cut points,
polyglots, wrong magic, malformed MP4 boxes (size 0/1/huge, truncated or missing
``moov``/``mdat``, recursion, odd brands, absurd durations, timescale 0, huge sample
tables), EXIF with GPS, scripts in SVG/HTML, empty files and very many frames.

:func:`build_corpus` returns the samples; ``kind`` says which upload field they are aimed
at ("image" or "video"). The fuzz harnesses in ``bench/fuzz.py`` use the same builders
for their seed inputs.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import av
import numpy as np
from PIL import Image

GPS = {1: "N", 2: (52.0, 22.0, 33.0), 3: "E", 4: (4.0, 53.0, 21.0)}
"""The GPS position planted in the EXIF samples (a place, degrees/minutes/seconds)."""
GPS_MARKER = b"+52.3759+004.8892/"
"""The ISO 6709 position planted in an MP4's ``udta`` box (Apple's ``\xa9xyz``)."""


@dataclass(frozen=True)
class Sample:
    name: str
    data: bytes
    kind: str  # "image" or "video": the upload field it is sent as
    filename: str
    content_type: str


# -- building blocks --------------------------------------------------------------------


def _exif_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = GPS
    exif[0x010F] = "HostileCam"
    return exif.tobytes()


def gps_ifd_bytes() -> bytes:
    """The GPS part of the planted EXIF, as it appears in the files (to look for it)."""
    data = _exif_gps()
    start = data.index(b"N\x00")  # GPSLatitudeRef, the first GPS value
    return data[start : start + 24]


def _photo(width: int = 64, height: int = 48) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 4 % 256, y * 5 % 256, (x + y) % 256], axis=2).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@cache
def base_jpeg() -> bytes:
    return _save(_photo(), "JPEG", quality=90, exif=_exif_gps())


@cache
def base_png() -> bytes:
    return _save(_photo(), "PNG", exif=_exif_gps())


@cache
def base_webp() -> bytes:
    return _save(_photo(), "WEBP", quality=80, exif=_exif_gps())


@cache
def base_gif() -> bytes:
    return _save(_photo().convert("P"), "GIF")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(
    width: int, height: int, idat: bytes | None = None, *, extra: bytes = b"", colour: int = 2
) -> bytes:
    """A PNG from parts: IHDR with any declared size, IDAT as given (default: a few rows)."""
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    if idat is None:
        idat = zlib.compress(b"\x00" * (1 + 3 * min(width, 64)) * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + extra
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _zlib_bomb(raw_bytes: int) -> bytes:
    """zlib of ``raw_bytes`` zeros, compressed in pieces so building it stays small."""
    compressor = zlib.compressobj(9)
    piece = b"\x00" * (1 << 20)
    out = bytearray()
    left = raw_bytes
    while left > 0:
        out += compressor.compress(piece[: min(left, len(piece))])
        left -= len(piece)
    return bytes(out + compressor.flush())


def _jpeg_with_size(width: int, height: int, data: bytes | None = None) -> bytes:
    """The base JPEG with its SOF frame size patched (the scan data stays tiny)."""
    jpeg = bytearray(data or base_jpeg())
    index = 2
    while index < len(jpeg) - 9:
        marker = jpeg[index + 1]
        length = struct.unpack(">H", jpeg[index + 2 : index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            jpeg[index + 5 : index + 9] = struct.pack(">HH", height, width)
            return bytes(jpeg)
        index += 2 + length
    raise AssertionError("no SOF marker")


def _progressive_scan_bomb(scans: int) -> bytes:
    """A progressive JPEG with its scans repeated: decoders redo work for every scan."""
    jpeg = _save(_photo(32, 32), "JPEG", progressive=True, quality=80)
    first_sos = jpeg.index(b"\xff\xda")
    body = jpeg[first_sos:-2]
    return jpeg[:first_sos] + body * scans + b"\xff\xd9"


def _webp_vp8x(width: int, height: int, *, animated: bool = False) -> bytes:
    flags = 0x02 if animated else 0
    chunk = b"VP8X" + struct.pack("<I", 10) + bytes([flags, 0, 0, 0])
    chunk += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    payload = b"WEBP" + chunk
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def _apng(frames: int, declared: int | None = None) -> bytes:
    image = _photo(16, 16)
    sequence = [image.point(lambda v, i=i: (v + i) % 256) for i in range(frames)]
    data = _save(sequence[0], "PNG", save_all=True, append_images=sequence[1:], duration=10)
    if declared is not None:  # acTL's num_frames, lying
        at = data.index(b"acTL")
        data = (
            data[: at - 4]
            + _png_chunk(b"acTL", struct.pack(">II", declared, 0))
            + data[at + 4 + 8 + 4 :]
        )
    return data


def _animated(fmt: str, frames: int, size: int = 16) -> bytes:
    image = _photo(size, size)
    sequence = [image.point(lambda v, i=i: (v * 3 + i) % 256) for i in range(frames)]
    return _save(sequence[0], fmt, save_all=True, append_images=sequence[1:], duration=10)


# -- videos -----------------------------------------------------------------------------


def encode_video(
    frames: int = 12,
    *,
    size: tuple[int, int] = (64, 48),
    fps: int = 12,
    fmt: str = "mp4",
    codec: str = "libx264",
    streams: int = 1,
) -> bytes:
    """A small real video, encoded now (moov after mdat, as FFmpeg writes it)."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=fmt) as container:
        outs = []
        for _ in range(streams):
            stream = container.add_stream(codec, rate=fps)
            stream.width, stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.time_base = Fraction(1, fps)
            if codec == "libx264":
                stream.options = {"preset": "ultrafast", "tune": "zerolatency"}
            outs.append(stream)
        for index in range(frames):
            pixels = np.full((size[1], size[0], 3), (index * 9) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            for stream in outs:
                frame.pts = index
                container.mux(stream.encode(frame))
        for stream in outs:
            container.mux(stream.encode(None))
    return buffer.getvalue()


@cache
def base_mp4() -> bytes:
    return with_udta_gps(encode_video())


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset, size) of the ISO-BMFF boxes between ``start`` and ``end``."""
    end = len(data) if end is None else end
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        elif size == 0:
            size = end - at
        if size < 8:
            return
        yield kind, at, size
        at += size


_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf"}


def find_box(data: bytes, path: str) -> tuple[int, int]:
    """(offset, size) of the box at ``path`` such as ``moov/trak/tkhd``."""
    start, end = 0, len(data)
    found = (0, 0)
    for part in path.split("/"):
        for kind, at, size in boxes(data, start, end):
            if kind == part.encode():
                found = (at, size)
                header = 16 if struct.unpack(">I", data[at : at + 4])[0] == 1 else 8
                start, end = at + header, at + size
                if part == "stsd":
                    start += 8  # version/flags and entry count precede the entries
                break
        else:
            raise KeyError(path)
    return found


def patch(data: bytes, path: str, offset: int, value: bytes) -> bytes:
    """Overwrite bytes at ``offset`` into the payload (after the 8-byte header) of a box."""
    at, _ = find_box(data, path)
    start = at + 8 + offset
    return data[:start] + value + data[start + len(value) :]


def set_size(data: bytes, path: str, header: bytes) -> bytes:
    """Replace a box's 4-byte size field with ``header`` (which may be 4 or 12 bytes:
    a size of 1 followed by a 64-bit large size is inserted, shifting what follows)."""
    at, _ = find_box(data, path)
    return data[:at] + header[:4] + data[at + 4 : at + 8] + header[4:] + data[at + 8 :]


def remove_box(data: bytes, kind: str) -> bytes:
    at, size = find_box(data, kind)
    return data[:at] + data[at + size :]


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def with_udta_gps(mp4: bytes) -> bytes:
    """Apple's location box (``moov/udta/\xa9xyz``) added, as phones record it."""
    at, size = find_box(mp4, "moov")
    xyz = box(b"\xa9xyz", struct.pack(">HH", len(GPS_MARKER), 0x15C7) + GPS_MARKER)
    moov = mp4[at : at + size] + box(b"udta", xyz)
    moov = struct.pack(">I", len(moov)) + moov[4:]
    rebuilt = mp4[:at] + moov + mp4[at + size :]
    # moov is last in FFmpeg's output, so no chunk offset (stco) moves.
    assert at + size == len(mp4)
    return rebuilt


def _nested(kind: bytes, depth: int, core: bytes = b"") -> bytes:
    inner = core
    for _ in range(depth):
        inner = box(kind, inner)
    return inner


def _mp4_samples() -> Iterator[tuple[str, bytes]]:
    mp4 = base_mp4()
    yield "valid-gps", mp4
    ftyp_at, ftyp_size = find_box(mp4, "ftyp")
    moov_at, moov_size = find_box(mp4, "moov")
    mdat_at, mdat_size = find_box(mp4, "mdat")
    big32 = struct.pack(">I", 0xFFFFFFFF)
    for path in ("ftyp", "moov", "mdat"):
        yield f"{path}-size-0", set_size(mp4, path, struct.pack(">I", 0))
        yield f"{path}-size-3", set_size(mp4, path, struct.pack(">I", 3))
        yield f"{path}-size-ffffffff", set_size(mp4, path, big32)
        yield f"{path}-largesize-huge", set_size(mp4, path, struct.pack(">IQ", 1, 2**63 - 1))
        yield f"{path}-largesize-max", set_size(mp4, path, struct.pack(">IQ", 1, 2**64 - 1))
        yield f"{path}-largesize-small", set_size(mp4, path, struct.pack(">IQ", 1, 4))
    for path in ("moov/trak", "moov/trak/mdia", "moov/trak/mdia/minf/stbl"):
        yield f"{path.replace('/', '-')}-size-ffffffff", set_size(mp4, path, big32)
        yield f"{path.replace('/', '-')}-size-0", set_size(mp4, path, struct.pack(">I", 0))
    yield "no-mdat", remove_box(mp4, "mdat")
    yield "no-moov", remove_box(mp4, "moov")
    yield "only-ftyp", mp4[ftyp_at : ftyp_at + ftyp_size]
    yield "ftyp-then-moov-only", mp4[:ftyp_size] + mp4[moov_at : moov_at + moov_size]
    for fraction in (0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
        cut = moov_at + int(moov_size * fraction)
        yield f"moov-truncated-{int(fraction * 100)}", mp4[:cut]
    yield "mdat-truncated-half", mp4[: mdat_at + mdat_size // 2] + mp4[moov_at:]
    brand_at = ftyp_at + 8
    for brand in (b"qt  ", b"XXXX", b"jp2 ", b"heic", b"avif", b"\x00\x00\x00\x00", b"M4A "):
        label = brand.decode("latin-1").strip() or "blank"
        label = label if label.isalnum() else "nul"
        yield f"brand-{label}", mp4[:brand_at] + brand + mp4[brand_at + 4 :]
    yield "ftyp-then-jpeg", mp4[:ftyp_size] + base_jpeg()
    yield "ftyp-then-png", mp4[:ftyp_size] + base_png()
    yield "recursive-moov-2000", mp4[:ftyp_size] + _nested(b"moov", 2000) + mp4[ftyp_size:]
    yield "recursive-trak-3000", mp4[:ftyp_size] + box(b"moov", _nested(b"trak", 3000))
    yield "recursive-udta-1000", mp4 + box(b"moov", _nested(b"udta", 1000))
    yield (
        "child-larger-than-parent",
        mp4[:ftyp_size] + box(b"moov", struct.pack(">I", 10**6) + b"trak" + b"\x00" * 32),
    )
    # mvhd: version/flags(4) ctime(4) mtime(4) timescale(4) duration(4)
    yield "mvhd-duration-huge", patch(mp4, "moov/mvhd", 16, big32)
    yield "mvhd-timescale-0", patch(mp4, "moov/mvhd", 12, b"\x00" * 4)
    yield (
        "mvhd-timescale-1-duration-huge",
        patch(mp4, "moov/mvhd", 12, struct.pack(">II", 1, 10**9)),
    )
    yield "mdhd-duration-huge", patch(mp4, "moov/trak/mdia/mdhd", 16, big32)
    yield "mdhd-timescale-0", patch(mp4, "moov/trak/mdia/mdhd", 12, b"\x00" * 4)
    yield "mdhd-timescale-1", patch(mp4, "moov/trak/mdia/mdhd", 12, struct.pack(">II", 1, 36000))
    yield "tkhd-duration-huge", patch(mp4, "moov/trak/tkhd", 20, big32)
    # tkhd (version 0): display width/height (16.16) at payload offset 76
    yield (
        "tkhd-size-huge",
        patch(mp4, "moov/trak/tkhd", 76, struct.pack(">II", 0xFFFF0000, 0xFFFF0000)),
    )
    # avc1 sample entry: width/height at payload offset 24
    stsd_entry = "moov/trak/mdia/minf/stbl/stsd/avc1"
    yield "avc1-size-65535", patch(mp4, stsd_entry, 24, struct.pack(">HH", 65535, 65535))
    yield "avc1-size-0", patch(mp4, stsd_entry, 24, struct.pack(">HH", 0, 0))
    stbl = "moov/trak/mdia/minf/stbl"
    # stts: version/flags(4) entry_count(4) then (sample_count, sample_delta)
    yield "stts-count-huge", patch(mp4, f"{stbl}/stts", 4, big32)
    yield "stts-samples-huge", patch(mp4, f"{stbl}/stts", 8, big32)
    yield "stts-delta-huge", patch(mp4, f"{stbl}/stts", 12, big32)
    # stsz: version/flags(4) sample_size(4) sample_count(4)
    yield "stsz-count-huge", patch(mp4, f"{stbl}/stsz", 8, big32)
    yield "stsz-size-huge", patch(mp4, f"{stbl}/stsz", 4, big32)
    # a constant sample size and 67 million samples: FFmpeg indexes each (found by fuzzing)
    yield (
        "stsz-constant-67m-samples",
        patch(mp4, f"{stbl}/stsz", 4, struct.pack(">II", 18, 0x04000002)),
    )
    yield "stsc-count-huge", patch(mp4, f"{stbl}/stsc", 4, big32)
    yield "stco-count-huge", patch(mp4, f"{stbl}/stco", 4, big32)
    yield "stco-offset-past-end", patch(mp4, f"{stbl}/stco", 8, big32)
    yield "stsd-count-huge", patch(mp4, f"{stbl}/stsd", 4, big32)
    # hdlr: version/flags(4) pre_defined(4) handler_type(4) reserved(12) name (C string)
    yield "hdlr-name-not-utf8", patch(mp4, "moov/trak/mdia/hdlr", 24, b"\xff\xfe\xfd")
    entry_at, _ = find_box(mp4, stsd_entry)
    yield "codec-unknown", mp4[: entry_at + 4] + b"zzzz" + mp4[entry_at + 8 :]
    yield "moov-zeroed", mp4[: moov_at + 8] + b"\x00" * (moov_size - 8)
    yield "moov-ones", mp4[: moov_at + 8] + b"\xff" * (moov_size - 8)
    yield "mdat-zeroed", mp4[: mdat_at + 8] + b"\x00" * (mdat_size - 8) + mp4[moov_at:]
    # a video with more tracks than the limit, and one with very many frames
    yield "streams-9", encode_video(2, size=(16, 16), streams=9)
    yield "frames-7300-at-120fps", encode_video(7300, size=(16, 16), fps=120, codec="mpeg4")
    yield "seconds-61", encode_video(62, size=(16, 16), fps=1, codec="mpeg4")
    yield "side-17x4097", encode_video(1, size=(4098, 18), codec="mpeg4")
    yield "side-tiny", encode_video(2, size=(8, 8), codec="mpeg4")


# Found by fuzzing (video harness, out of memory): 245 bytes of WebM whose VP8 key frame
# declares 16160x16319 pixels; decoding its first frame took ~480 MB.
_WEBM_HUGE_FRAME = bytes.fromhex(
    "1a45dfa39f4286810142f7810142f2810442f381084282847765626d4287810242668102181549a9"
    "66313032448988407f1654ae6bbeae0100000000000035d781018685565f56503883810123e38384"
    "04001f43b67540bfe78100a3a4810800803002009d012a20bfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbf"
    "bfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfffffffffff0086a0bfbfbfbfbfbfbfbfbfbfbfbfbfbf"
    "bfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbf"
    "bfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbfbf0020000047088585f2f5000700262000238100a7"
    "0000051000"
)


def _ebml_samples() -> Iterator[tuple[str, bytes]]:
    webm = encode_video(6, size=(32, 32), fmt="webm", codec="libvpx")
    yield "webm-valid", webm
    yield "webm-header-only", webm[:40]
    yield "webm-segment-size-huge", webm[:40] + b"\x18\x53\x80\x67\x01" + b"\xff" * 7 + b"\x00" * 64
    yield "webm-vp8-declares-16160x16319", _WEBM_HUGE_FRAME
    yield "ebml-garbage", b"\x1a\x45\xdf\xa3" + b"\xff" * 200
    yield "ebml-size-max", b"\x1a\x45\xdf\xa3\x01" + b"\xff" * 7 + b"\x42\x82\x84webm"
    for fraction in (0.2, 0.5, 0.8, 0.95):
        yield f"webm-cut-{int(fraction * 100)}", webm[: int(len(webm) * fraction)]


def _image_bombs() -> Iterator[tuple[str, bytes]]:
    yield "png-100000x100000", png(100_000, 100_000)
    yield "png-65535x65535", png(65_535, 65_535)
    yield "png-2e31x1", png(2**31 - 1, 1)
    yield "png-1x2e31", png(1, 2**31 - 1)
    yield "png-0x0", png(0, 0)
    yield "png-8192x5000-truncated-idat", png(8192, 4880)
    yield "png-9000x16", png(9000, 16)
    yield "png-zlib-bomb-4000x4000", png(4000, 4000, _zlib_bomb(4000 * (1 + 4000 * 3)))
    # more decompressed data than the declared size: the excess must not be inflated
    yield "png-zlib-bomb-overflow-64x48", png(64, 48, _zlib_bomb(64 << 20))
    ztxt = _png_chunk(b"zTXt", b"Comment\x00\x00" + _zlib_bomb(64 << 20))
    yield "png-ztxt-bomb", png(64, 48, extra=ztxt)
    iccp = _png_chunk(b"iCCP", b"icc\x00\x00" + _zlib_bomb(32 << 20))
    yield "png-iccp-bomb", png(64, 48, extra=iccp)
    yield "png-chunk-length-huge", png(64, 48)[:33] + b"\x7f\xff\xff\xff" + b"tEXt" + b"a" * 32
    yield (
        "png-16bit-4000x4000-bomb",
        (
            b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 4000, 4000, 16, 6, 0, 0, 0))
            + _png_chunk(b"IDAT", _zlib_bomb(64 << 20))
            + _png_chunk(b"IEND", b"")
        ),
    )
    yield "jpeg-sof-65535x65535", _jpeg_with_size(65535, 65535)
    yield "jpeg-sof-8000x5000", _jpeg_with_size(8000, 5000)
    yield "jpeg-sof-0x0", _jpeg_with_size(0, 0)
    yield "jpeg-sof-1x65535", _jpeg_with_size(1, 65535)
    yield "jpeg-progressive-500-scans", _progressive_scan_bomb(500)
    yield "webp-vp8x-16777216", _webp_vp8x(16_777_216, 16_777_216)
    yield "webp-vp8x-16384x16384-animated", _webp_vp8x(16_384, 16_384, animated=True)
    yield "webp-riff-size-huge", b"RIFF\xff\xff\xff\xffWEBP" + base_webp()[12:]
    yield "webp-animated-300-frames", _animated("WEBP", 300)
    yield "apng-400-frames", _apng(400)
    yield "apng-claims-2e31-frames", _apng(2, declared=2**31 - 1)
    yield "gif-huge-screen", b"GIF89a\xff\xff\xff\xff" + base_gif()[10:]
    yield "gif-300-frames", _animated("GIF", 300)


def _polyglots() -> Iterator[tuple[str, bytes, str]]:
    zip_tail = (
        b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"\x00" * 16 + b"\x05\x00\x00\x00"
        b"a.htm<script>alert(1)</script>PK\x05\x06" + b"\x00" * 18
    )
    html = b"<html><body><script>fetch('/api/v1/jobs')</script></body></html>"
    yield "jpeg+zip", base_jpeg() + zip_tail, "image"
    yield "jpeg+html", base_jpeg() + html, "image"
    yield (
        "jpeg-comment-html",
        base_jpeg()[:2] + b"\xff\xfe\x00\x44" + html + base_jpeg()[2:],
        "image",
    )
    yield "png+mp4", base_png() + base_mp4(), "image"
    yield "png+zip", base_png() + zip_tail, "image"
    yield "webp+html", base_webp() + html, "image"
    yield "gif+zip", base_gif() + zip_tail, "image"
    yield "jpeg-magic-then-html", b"\xff\xd8\xff\xe0" + html, "image"
    yield "png-magic-then-html", b"\x89PNG\r\n\x1a\n" + html, "image"
    yield "mp4+zip", base_mp4() + zip_tail, "video"
    yield "mp4+html", base_mp4() + html, "video"
    yield (
        "mp4-free-box-with-jpeg",
        base_mp4()[:32] + box(b"free", base_jpeg()) + base_mp4()[32:],
        "video",
    )
    yield "jpeg+mp4", base_jpeg() + base_mp4(), "video"
    yield "riff-avi-as-webp", b"RIFF\x40\x00\x00\x00AVI LIST" + b"\x00" * 60, "image"
    yield "riff-webp-with-avi", b"RIFF\x40\x00\x00\x00WEBPLIST" + b"\x00" * 60, "image"


def _wrong_magic() -> Iterator[tuple[str, bytes, str, str, str]]:
    svg = (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" '
        b'height="48" onload="alert(1)"><script>alert(document.cookie)</script></svg>'
    )
    html = b"<!doctype html><html><script>alert(1)</script><img src=x onerror=alert(1)></html>"
    # (name, data, kind, filename, content type)
    yield "jpeg-as-mp4", base_jpeg(), "video", "clip.mp4", "video/mp4"
    yield "png-as-mp4", base_png(), "video", "clip.mp4", "video/mp4"
    yield "mp4-as-jpeg", base_mp4(), "image", "me.jpg", "image/jpeg"
    yield (
        "webm-as-png",
        encode_video(2, size=(16, 16), fmt="webm", codec="libvpx"),
        "image",
        "a.png",
        "image/png",
    )
    yield "text-as-png", b"just some text, honest\n" * 10, "image", "a.png", "image/png"
    yield "svg-script", svg, "image", "a.svg", "image/svg+xml"
    yield "svg-as-png", svg, "image", "a.png", "image/png"
    yield "html-script", html, "image", "a.html", "text/html"
    yield "html-as-mp4", html, "video", "a.mp4", "video/mp4"
    yield "zero-bytes-image", b"", "image", "a.jpg", "image/jpeg"
    yield "zero-bytes-video", b"", "video", "a.mp4", "video/mp4"
    yield "one-byte", b"\xff", "image", "a.jpg", "image/jpeg"
    yield "nul-64", b"\x00" * 64, "image", "a.png", "image/png"
    yield "nul-4096-video", b"\x00" * 4096, "video", "a.mp4", "video/mp4"
    yield (
        "pdf",
        b"%PDF-1.7\n1 0 obj<</JS(alert(1))>>endobj\n%%EOF",
        "image",
        "a.pdf",
        "application/pdf",
    )
    yield "elf", b"\x7fELF\x02\x01\x01" + b"\x00" * 57, "video", "a.mp4", "video/mp4"
    yield "gzip", zlib.compress(b"x" * 1000), "image", "a.png", "image/png"
    yield "bmp", _save(_photo(), "BMP"), "image", "a.bmp", "image/bmp"
    yield "tiff", _save(_photo(), "TIFF"), "image", "a.tif", "image/tiff"
    yield "ico", _save(_photo(32, 32), "ICO"), "image", "a.ico", "image/x-icon"
    yield "filename-traversal", base_jpeg(), "image", "../../../etc/passwd", "image/jpeg"
    yield "filename-nul", base_jpeg(), "image", "a\x00.jpg", "image/jpeg"


def _cut_points(length: int) -> list[int]:
    fixed = [1, 2, 3, 4, 7, 8, 11, 12, 16, 24, 32, 63, 64, 65, 100, 200, 400]
    fractions = [int(length * f) for f in (0.3, 0.5, 0.7, 0.9, 0.98)]
    return sorted({cut for cut in fixed + fractions + [length - 1] if 0 < cut < length})


def _truncations() -> Iterator[tuple[str, bytes, str]]:
    bases: list[tuple[str, Callable[[], bytes], str]] = [
        ("jpeg", base_jpeg, "image"),
        ("png", base_png, "image"),
        ("webp", base_webp, "image"),
        ("mp4", base_mp4, "video"),
    ]
    for label, make, kind in bases:
        data = make()
        for cut in _cut_points(len(data)):
            yield f"{label}-cut-{cut}", data[:cut], kind


_NAMES = {"image": ("upload.jpg", "image/jpeg"), "video": ("upload.mp4", "video/mp4")}


@cache
def build_corpus() -> tuple[Sample, ...]:
    """Every sample, in a stable order (names are unique)."""
    samples: list[Sample] = []

    def add(name: str, data: bytes, kind: str) -> None:
        filename, content_type = _NAMES[kind]
        samples.append(Sample(name, data, kind, filename, content_type))

    add("jpeg-valid-gps", base_jpeg(), "image")
    add("png-valid-gps", base_png(), "image")
    add("webp-valid-gps", base_webp(), "image")
    for name, data in _image_bombs():
        add(name, data, "image")
    for name, data, kind in _polyglots():
        add(name, data, kind)
    for name, data, kind, filename, content_type in _wrong_magic():
        samples.append(Sample(name, data, kind, filename, content_type))
    for name, data, kind in _truncations():
        add(name, data, kind)
    for name, data in _mp4_samples():
        add(f"mp4-{name}", data, "video")
    for name, data in _ebml_samples():
        add(name, data, "video")
    names = [sample.name for sample in samples]
    assert len(names) == len(set(names)), "sample names must be unique"
    return tuple(samples)


VALID = frozenset({"jpeg-valid-gps", "png-valid-gps", "webp-valid-gps", "mp4-valid-gps"})
CORPUS_VIDEO_BOMBS = (
    "mp4-seconds-61",
    "mp4-frames-7300-at-120fps",
    "mp4-side-17x4097",
    "webm-vp8-declares-16160x16319",
)
"""Videos whose container declares more than the limits: refused when they arrive."""
"""The samples that are wholly valid uploads (with EXIF/udta GPS to strip)."""


__all__ = [
    "CORPUS_VIDEO_BOMBS",
    "GPS",
    "GPS_MARKER",
    "VALID",
    "Sample",
    "build_corpus",
    "encode_video",
    "gps_ifd_bytes",
]
