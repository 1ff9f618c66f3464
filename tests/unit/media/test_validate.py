"""load_image / validate_video / iter_video_frames on real and hand-made files."""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from reelvault.errors import PayloadTooLargeError, UnsupportedMediaError, ValidationError
from reelvault.media.decode import iter_video_frames
from reelvault.media.validate import MediaLimits, load_image, validate_video

DATA = Path(__file__).parents[2] / "data"
PHOTO = DATA / "fullbody_yoga_beach.jpg"
DANCE = DATA / "SYNTHETIC_dance_moves_576.mp4"


def test_real_photo_loads_as_rgb() -> None:
    info = load_image(PHOTO)
    assert info.pixels.shape == (667, 1000, 3)
    assert info.pixels.dtype == np.uint8
    assert info.media_type.mime == "image/jpeg"


def test_exif_orientation_applied_and_metadata_gone(tmp_path: Path) -> None:
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, 10, 20))  # blue strip on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "SecretCam"
    path = tmp_path / "phone.jpg"
    image.save(path, exif=exif.tobytes(), quality=95)
    info = load_image(path)
    assert info.pixels.shape == (40, 20, 3)  # turned upright
    assert info.pixels[2, 10, 2] > 150  # the blue strip is now at the top
    assert isinstance(info.pixels, np.ndarray)  # pixels only: nothing else is returned


@pytest.mark.parametrize("mode", ["CMYK", "L", "P", "RGBA", "LA", "I;16"])
def test_odd_modes_become_rgb(tmp_path: Path, mode: str) -> None:
    base = Image.new("RGB", (32, 24), (10, 120, 240))
    if mode == "I;16":
        image = Image.fromarray(np.full((24, 32), 40000, dtype=np.uint16))
        path = tmp_path / "deep.png"
    else:
        image = base.convert(mode)
        path = tmp_path / ("x.jpg" if mode in ("CMYK", "L") else "x.png")
    image.save(path)
    pixels = load_image(path).pixels
    assert pixels.shape == (24, 32, 3)
    if mode == "I;16":
        assert 150 < int(pixels[0, 0, 0]) < 160  # 40000/65535 of 255, not clipped to 255


def test_animated_gives_first_frame_or_is_refused(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 255, 0))]
    path = tmp_path / "anim.webp"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, lossless=True)
    info = load_image(path)
    assert info.was_animated
    assert info.pixels[5, 5, 0] > 200
    with pytest.raises(ValidationError, match="animated"):
        load_image(path, MediaLimits(allow_animated_images=False))


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def test_bomb_refused_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(60000, 60000))  # 3.6 gigapixels declared, 100 bytes
    with pytest.raises(PayloadTooLargeError) as caught:
        load_image(path)
    assert str(tmp_path) not in str(caught.value)


def test_too_small_and_too_large(tmp_path: Path) -> None:
    path = tmp_path / "tiny.png"
    Image.new("RGB", (8, 8)).save(path)
    with pytest.raises(ValidationError, match="at least"):
        load_image(path)
    with pytest.raises(PayloadTooLargeError):
        load_image(PHOTO, MediaLimits(max_image_pixels=1000))


@pytest.mark.parametrize(
    "content",
    [
        b"just some text, not an image",
        PHOTO.read_bytes()[:2000],  # truncated JPEG
        b"\xff\xd8\xff" + _png_header_only(20, 20),  # says JPEG, is a PNG: polyglot
    ],
)
def test_bad_images_fail_cleanly(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "secret-name.jpg"
    path.write_bytes(content)
    with pytest.raises(UnsupportedMediaError) as caught:
        load_image(path)
    assert "secret-name" not in str(caught.value)


def test_real_video_validates() -> None:
    info = validate_video(DANCE)
    assert (info.width, info.height) == (576, 576)
    assert info.frame_count == 120
    assert info.rotation == 0
    with pytest.raises(PayloadTooLargeError, match="lasts"):
        validate_video(DANCE, MediaLimits(max_video_seconds=2))
    with pytest.raises(ValidationError, match="frames per second"):
        validate_video(DANCE, MediaLimits(max_video_fps=24))


def test_image_is_not_a_video_and_garbage_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMediaError):
        validate_video(PHOTO)
    path = tmp_path / "v.mp4"
    path.write_bytes(b"\0\0\0\x18ftypisom" + b"\0" * 500)
    with pytest.raises(UnsupportedMediaError):
        validate_video(path)


def _write_video(
    path: Path,
    sizes: tuple[int, int],
    times: list[float],
    *,
    rotation: int = 0,
    pix_fmt: str = "yuv420p",
) -> None:
    width, height = sizes
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        for index, stamp in enumerate(times):
            pixels = np.zeros((height, width, 3), np.uint8)
            pixels[: height // 4, :] = (255, 0, 0)  # red band on top
            pixels[:, :, 1] = index * 20 % 256
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format=pix_fmt)
            frame.pts = round(stamp * 1000)
            frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def test_rotated_phone_video_is_turned_upright(tmp_path: Path) -> None:
    path = tmp_path / "phone.mp4"
    _write_video(path, (64, 32), [i / 10 for i in range(5)], rotation=-90)
    info = validate_video(path)
    assert (info.width, info.height) == (32, 64)
    first = next(iter_video_frames(path))
    assert first.shape == (64, 32, 3)


def test_variable_frame_rate_is_resampled(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    times = [0.0, 0.05, 0.1, 0.4, 0.45, 0.9]  # bursts and gaps
    _write_video(path, (32, 32), times)
    frames = list(iter_video_frames(path, fps=10))
    assert len(frames) == 10  # 0.0 .. 0.9 s, plus the last frame's duration
    greens = [int(f[20, 5, 1]) for f in frames]
    # Frame at 0.3 s still shows the frame stamped 0.1 s; at 0.4 s the next one.
    assert greens[3] == pytest.approx(greens[1], abs=8)
    assert greens[4] != pytest.approx(greens[3], abs=8)


def test_ten_bit_and_odd_sizes_decode(tmp_path: Path) -> None:
    path = tmp_path / "hdr.mkv"
    try:
        _write_video(path, (33, 21), [i / 10 for i in range(3)], pix_fmt="yuv444p10le")
    except av.FFmpegError:
        pytest.skip("this libx264 has no 10-bit support")
    frames = list(iter_video_frames(path, size=(64, 40)))
    assert frames[0].shape == (40, 64, 3)
    assert frames[0].dtype == np.uint8


def test_sprite_sheet_and_audio(tmp_path: Path) -> None:
    from reelvault.media.spritesheet import make_spritesheet

    sheet = make_spritesheet(DANCE, columns=4, tile_width=64, tiles=8)
    image = Image.open(io.BytesIO(sheet))
    assert image.size == (256, 128)
    in_memory = [np.full((20, 40, 3), i * 20, np.uint8) for i in range(10)]
    assert Image.open(
        io.BytesIO(make_spritesheet(in_memory, columns=5, tile_width=40, tiles=10, fmt="webp"))
    ).size == (200, 40)
