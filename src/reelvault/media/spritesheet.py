"""A sprite sheet: evenly spaced frames of a video tiled in one image (``variant=spritesheet``).

Frames are picked at evenly spaced times, scaled to ``tile_width`` (keeping the aspect
ratio) and laid out row by row. Only the chosen tiles are kept in memory.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

from reelvault.errors import ValidationError
from reelvault.media.decode import iter_video_frames
from reelvault.media.probe import probe_video

Frame = npt.NDArray[np.uint8]

MAX_TILES = 100


def _picks(total: int, tiles: int) -> list[int]:
    """Indices of ``tiles`` frames spread evenly over ``total`` (centre of each slot)."""
    tiles = min(tiles, total)
    return sorted({min(total - 1, int((k + 0.5) * total / tiles)) for k in range(tiles)})


def _tile(frame: Frame, tile_width: int, tile_height: int) -> Image.Image:
    image = Image.fromarray(np.ascontiguousarray(frame))
    return image.resize((tile_width, tile_height), Image.Resampling.LANCZOS, reducing_gap=2.0)


def make_spritesheet(
    source: Sequence[Frame] | Path,
    *,
    columns: int = 5,
    tile_width: int = 160,
    tiles: int = 25,
    fmt: Literal["jpeg", "webp"] = "jpeg",
) -> bytes:
    """Tile ``tiles`` evenly spaced frames of ``source`` (frames in memory, or a video
    file) into ``columns`` columns of ``tile_width`` pixels; JPEG or WebP bytes, no
    metadata. Raises :class:`ValidationError` for bad arguments or no frames.
    """
    if columns < 1:
        raise ValidationError(f"columns {columns} must be at least 1", param="columns")
    if not 8 <= tile_width <= 1024:
        raise ValidationError(f"tile width {tile_width} is out of range 8-1024", param="tile_width")
    if not 1 <= tiles <= MAX_TILES:
        raise ValidationError(f"tiles {tiles} is out of range 1-{MAX_TILES}", param="tiles")
    if fmt not in ("jpeg", "webp"):
        raise ValidationError(f"unknown sprite sheet format {fmt!r} (jpeg or webp)")

    chosen: list[Image.Image] = []
    if isinstance(source, Path):
        info = probe_video(source)
        width = info.width
        height = info.height
        picks = set(_picks(max(1, info.frame_count), tiles))
        tile_height = 0
        for index, frame in enumerate(iter_video_frames(source)):
            if not tile_height:
                height, width = frame.shape[:2]
                tile_height = max(1, round(tile_width * height / width))
            if index in picks:
                chosen.append(_tile(frame, tile_width, tile_height))
                if len(chosen) == len(picks):
                    break
    else:
        if len(source) == 0:
            raise ValidationError("a sprite sheet needs at least one frame")
        height, width = source[0].shape[:2]
        tile_height = max(1, round(tile_width * height / width))
        chosen = [_tile(source[i], tile_width, tile_height) for i in _picks(len(source), tiles)]
    if not chosen:
        raise ValidationError("a sprite sheet needs at least one frame")

    columns = min(columns, len(chosen))
    rows = -(-len(chosen) // columns)
    tile_height = chosen[0].height
    sheet = Image.new("RGB", (columns * tile_width, rows * tile_height), (0, 0, 0))
    for position, tile in enumerate(chosen):
        row, column = divmod(position, columns)
        sheet.paste(tile, (column * tile_width, row * tile_height))
    out = io.BytesIO()
    if fmt == "webp":
        sheet.save(out, format="WEBP", quality=80, method=4)
    else:
        sheet.save(out, format="JPEG", quality=82, optimize=True)
    return out.getvalue()


__all__ = ["MAX_TILES", "make_spritesheet"]
