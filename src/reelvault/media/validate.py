"""Probe and validate uploaded media before anything else looks at the pixels.

Images are checked with Pillow, videos with PyAV, both against :class:`MediaLimits`.
The type is always decided from the content (:mod:`reelvault.media.sniff`), and a file
whose leading bytes say one format while the decoder finds another (a polyglot) is
refused. Images come back as plain RGB pixels: EXIF orientation is applied first, then
everything else the file carried (EXIF with GPS and device, XMP, ICC, comments) is
simply not part of a numpy array.

Error messages say what is wrong with a file, never its path or any of its contents.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from reelvault.errors import PayloadTooLargeError, UnsupportedMediaError, ValidationError
from reelvault.media.containers import open_input
from reelvault.media.mp4_tables import check_sample_tables
from reelvault.media.probe import probe_video
from reelvault.media.sniff import MP4, QUICKTIME, SNIFF_BYTES, MediaType, sniff

Frame = npt.NDArray[np.uint8]

# What Pillow calls the formats sniff() accepts for images.
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# Container names PyAV reports for the video types sniff() accepts.
_VIDEO_DEMUXERS = {
    "video/mp4": {"mov", "mp4", "m4a", "3gp", "3g2", "mj2"},
    "video/quicktime": {"mov", "mp4", "m4a", "3gp", "3g2", "mj2"},
    "video/webm": {"matroska", "webm"},
    "video/x-matroska": {"matroska", "webm"},
}


@dataclass(frozen=True)
class MediaLimits:
    """What an upload may be. Defaults suit a self-hosted CPU deployment."""

    max_bytes: int = 200 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    max_image_side: int = 8192
    min_image_side: int = 16
    max_video_seconds: float = 60.0
    max_video_side: int = 4096
    min_video_side: int = 16
    max_video_fps: float = 120.0
    max_video_frames: int = 60 * 120
    max_streams: int = 8
    allow_animated_images: bool = True
    """True: an animated GIF/PNG/WebP gives its first frame; False: it is refused."""


@dataclass(frozen=True)
class ImageInfo:
    """A validated image: its pixels (RGB, upright, no metadata) and what it was."""

    pixels: Frame
    media_type: MediaType
    original_mode: str
    was_animated: bool

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


@dataclass(frozen=True)
class ValidatedVideo:
    """A video that passed the limits. Sizes are as displayed (rotation applied)."""

    media_type: MediaType
    width: int
    height: int
    coded_width: int
    coded_height: int
    fps: float
    frame_count: int
    duration_seconds: float
    rotation: int
    """Clockwise degrees (0, 90, 180, 270) to turn decoded frames to display them."""
    codec: str
    pix_fmt: str
    has_audio: bool


_AUDIO_SAMPLES_PER_SECOND = 96_000
"""Uncompressed audio in QuickTime counts every audio sample: 96 kHz for the longest
video allowed is the most sample-table entries a real upload has."""


def max_declared_samples(limits: MediaLimits) -> int:
    """The most samples one track of an upload within ``limits`` can declare."""
    return max(limits.max_video_frames, round(limits.max_video_seconds * _AUDIO_SAMPLES_PER_SECOND))


def _read_head(path: Path, limits: MediaLimits) -> MediaType | None:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError("no such media file")
    size = path.stat().st_size
    if size == 0:
        raise UnsupportedMediaError("the file is empty")
    if size > limits.max_bytes:
        raise PayloadTooLargeError(
            f"the file has {size} bytes, more than the limit of {limits.max_bytes}"
        )
    with path.open("rb") as handle:
        return sniff(handle.read(SNIFF_BYTES))


_BAND_ROWS = 256


def _rgb_in_bands(image: Image.Image) -> Frame:
    """An RGB image as an array, copied a band of rows at a time.

    ``np.asarray(image)`` goes through ``tobytes()``, which joins encoded chunks: two
    whole-image byte strings at its peak on top of Pillow's own 4-bytes-a-pixel copy,
    about 680 MB for a 40-megapixel photo (or a 1 KB JPEG that declares that size)
    where this needs 280 MB.
    """
    width, height = image.size
    pixels: Frame = np.empty((height, width, 3), dtype=np.uint8)
    for top in range(0, height, _BAND_ROWS):
        bottom = min(height, top + _BAND_ROWS)
        pixels[top:bottom] = np.asarray(image.crop((0, top, width, bottom)), dtype=np.uint8)
    return pixels


def _to_rgb(image: Image.Image) -> Frame:
    """Any Pillow mode as 8-bit RGB; transparency composited over mid grey."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale: scale to 8 bits instead of letting Pillow clip at 255.
        wide = np.asarray(image, dtype=np.uint32 if mode == "I" else np.uint16)
        top = 65535 if mode != "I" else max(1, int(wide.max()))
        grey = (wide.astype(np.float32) * (255.0 / top)).clip(0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float32))
        low, high = float(values.min()), float(values.max())
        grey = ((values - low) * (255.0 / max(high - low, 1e-6))).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
        alpha = rgba[:, :, 3:4] / 255.0
        rgb = rgba[:, :, :3] * alpha + 128.0 * (1.0 - alpha)
        return np.ascontiguousarray(rgb.round().astype(np.uint8))
    if mode == "RGB":
        return _rgb_in_bands(image)
    # CMYK, YCbCr, L, 1, P, LAB, HSV all have an RGB conversion in Pillow.
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def load_image(path: Path, limits: MediaLimits | None = None) -> ImageInfo:
    """Validate the image at ``path`` and return its upright RGB pixels, nothing else.

    The pixel count is checked from the header, before any pixel is decoded (the
    decompression-bomb guard). Raises :class:`UnsupportedMediaError` for a file that is
    not a JPEG/PNG/WebP, a polyglot, or corrupt/truncated data;
    :class:`PayloadTooLargeError` over the byte or pixel limits; :class:`ValidationError`
    for a too small or (when refused) animated image.
    """
    limits = limits or MediaLimits()
    media_type = _read_head(Path(path), limits)
    if media_type is None or media_type.kind != "image":
        raise UnsupportedMediaError("the file is not a JPEG, PNG or WebP image")
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past 2x its own limit, raises) about huge images; our
            # explicit check below is the one that decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=[_PILLOW_FORMATS[media_type.mime]]) as image:
                width, height = image.size
                if width * height > limits.max_image_pixels:
                    raise PayloadTooLargeError(
                        f"the image has {width}x{height} pixels, more than the limit of "
                        f"{limits.max_image_pixels}"
                    )
                if max(width, height) > limits.max_image_side:
                    raise PayloadTooLargeError(
                        f"the image is {width}x{height}; its longer side may be at most "
                        f"{limits.max_image_side} pixels"
                    )
                if min(width, height) < limits.min_image_side:
                    raise ValidationError(
                        f"the image is {width}x{height}; both sides must be at least "
                        f"{limits.min_image_side} pixels",
                        param="image",
                    )
                animated = bool(getattr(image, "is_animated", False))
                if animated and not limits.allow_animated_images:
                    raise ValidationError(
                        "animated images are not accepted here: upload a still photo",
                        param="image",
                    )
                image.seek(0)
                original_mode = image.mode
                image.load()
                # In place: a copy of the whole picture for nothing when it is upright
                # (most photos), and each copy of a 40-megapixel image is 160 MB.
                ImageOps.exif_transpose(image, in_place=True)
                pixels = _to_rgb(image)
    except (PayloadTooLargeError, ValidationError):
        raise
    except Image.DecompressionBombError:
        raise PayloadTooLargeError("the image has more pixels than the limit") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UnsupportedMediaError(
            "the image is corrupt, truncated or not what it claims to be"
        ) from None
    return ImageInfo(
        pixels=pixels, media_type=media_type, original_mode=original_mode, was_animated=animated
    )


def load_preview(path: Path, max_side: int, limits: MediaLimits | None = None) -> Frame:
    """An upright RGB copy of the image at ``path``, at most ``max_side`` pixels a side,
    for a look at it (content moderation, the face check at submit).

    The declared pixel count is checked before any pixel is decoded, as in
    :func:`load_image`; a JPEG is decoded at a reduced scale (libjpeg's DCT scaling), so
    a large photo costs a fraction of its full size in memory.
    """
    limits = limits or MediaLimits()
    found = _read_head(Path(path), limits)
    if found is None or found.kind != "image":
        raise UnsupportedMediaError("the file is not a JPEG, PNG or WebP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=[_PILLOW_FORMATS[found.mime]]) as picture:
                columns, rows = picture.size
                too_big = columns * rows > limits.max_image_pixels
                if too_big or max(columns, rows) > limits.max_image_side:
                    raise PayloadTooLargeError("the image is larger than the limits")
                picture.seek(0)
                picture.draft("RGB", (max_side, max_side))
                picture.load()
                ImageOps.exif_transpose(picture, in_place=True)
                picture.thumbnail((max_side, max_side))
                return _to_rgb(picture)
    except PayloadTooLargeError:
        raise
    except Image.DecompressionBombError:
        raise PayloadTooLargeError("the image has more pixels than the limit") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UnsupportedMediaError(
            "the image is corrupt, truncated or not what it claims to be"
        ) from None


def _declared_size(container: av.container.InputContainer) -> tuple[int, int]:
    """The first video stream's frame size as its header declares it ((0, 0): none)."""
    context = container.streams.video[0].codec_context if container.streams.video else None
    return (context.width or 0, context.height or 0) if context is not None else (0, 0)


def _rotation_of(path: Path) -> int:
    """Clockwise display rotation of the first video stream, from its display matrix."""
    try:
        with open_input(path) as container:
            stream = container.streams.video[0]
            frame = next(container.decode(stream), None)
            angle = float(getattr(frame, "rotation", 0) or 0) if frame is not None else 0.0
    except (av.FFmpegError, IndexError):
        return 0
    # The display matrix angle is counter-clockwise; players turn frames clockwise by -angle.
    return round(-angle / 90.0) % 4 * 90


def validate_video(path: Path, limits: MediaLimits | None = None) -> ValidatedVideo:
    """Check the video at ``path`` against ``limits`` and describe it.

    Raises :class:`UnsupportedMediaError` for an unknown container, a polyglot, no video
    stream, or undecodable data, and :class:`PayloadTooLargeError` /
    :class:`ValidationError` for limits.
    """
    limits = limits or MediaLimits()
    path = Path(path)
    media_type = _read_head(path, limits)
    if media_type is None or media_type.kind != "video":
        raise UnsupportedMediaError("the file is not an MP4, MOV, WebM or MKV video")
    if media_type in (MP4, QUICKTIME):
        check_sample_tables(path, max_declared_samples(limits))
    try:
        with open_input(path) as container:
            names = set(container.format.name.split(","))
            streams = len(container.streams)
            declared = _declared_size(container)
    except av.FFmpegError:
        raise UnsupportedMediaError("the video is corrupt or truncated") from None
    if max(declared) > limits.max_video_side:
        # Checked before the first frame is decoded: a decoder allocates frames of the
        # size the stream declares (a 245-byte WebM declaring 16160x16319 took 480 MB).
        raise PayloadTooLargeError(
            f"the video is {declared[0]}x{declared[1]}; its longer side may be at most "
            f"{limits.max_video_side} pixels"
        )
    if not names & _VIDEO_DEMUXERS[media_type.mime]:
        raise UnsupportedMediaError("the video's content does not match its container type")
    if streams > limits.max_streams:
        raise ValidationError(
            f"the video has {streams} streams, more than the limit of {limits.max_streams}",
            param="video",
        )
    info = probe_video(path)
    rotation = _rotation_of(path)
    width, height = (
        (info.height, info.width) if rotation in (90, 270) else (info.width, info.height)
    )
    if max(width, height) > limits.max_video_side:
        raise PayloadTooLargeError(
            f"the video is {width}x{height}; its longer side may be at most "
            f"{limits.max_video_side} pixels"
        )
    if min(width, height) < limits.min_video_side:
        raise ValidationError(
            f"the video is {width}x{height}; both sides must be at least "
            f"{limits.min_video_side} pixels",
            param="video",
        )
    if info.duration_seconds > limits.max_video_seconds + 0.05:
        raise PayloadTooLargeError(
            f"the video lasts {info.duration_seconds:.1f} s, longer than the limit of "
            f"{limits.max_video_seconds:g} s"
        )
    if info.fps > limits.max_video_fps + 0.5:
        raise ValidationError(
            f"the video has {info.fps:.1f} frames per second, more than the limit of "
            f"{limits.max_video_fps:g}",
            param="video",
        )
    if info.frame_count > limits.max_video_frames:
        raise PayloadTooLargeError(
            f"the video has {info.frame_count} frames, more than the limit of "
            f"{limits.max_video_frames}"
        )
    if info.frame_count <= 0 or info.fps <= 0:
        raise UnsupportedMediaError("the video has no frames we can read")
    return ValidatedVideo(
        media_type=media_type,
        width=width,
        height=height,
        coded_width=info.width,
        coded_height=info.height,
        fps=info.fps,
        frame_count=info.frame_count,
        duration_seconds=info.duration_seconds,
        rotation=rotation,
        codec=info.codec,
        pix_fmt=info.pix_fmt,
        has_audio=info.has_audio,
    )


__all__ = [
    "load_preview",
    "ImageInfo",
    "MediaLimits",
    "ValidatedVideo",
    "load_image",
    "max_declared_samples",
    "validate_video",
]
