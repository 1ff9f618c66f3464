"""Optional visible label: a small translucent corner mark such as "AI-generated"."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

Frame = npt.NDArray[np.uint8]
DEFAULT_TEXT = "AI-generated"


def label_text(setting: str) -> str | None:
    """The label for a ``visible_label`` setting: None for "off", the default for "on"."""
    value = setting.strip()
    if value.lower() in ("", "off", "false", "no", "0"):
        return None
    if value.lower() in ("on", "true", "yes", "1"):
        return DEFAULT_TEXT
    return value


@lru_cache(maxsize=16)
def _stamp(text: str, height: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    # Rendered once per (text, frame height): an RGB patch and its alpha, reused per frame.
    size = max(10, height // 24)
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = font.getbbox(text)
    pad = max(3, size // 3)
    box = (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad)
    alpha = Image.new("L", box, 0)
    draw = ImageDraw.Draw(alpha)
    draw.rounded_rectangle((0, 0, box[0] - 1, box[1] - 1), radius=pad, fill=110)
    text_mask = Image.new("L", box, 0)
    ImageDraw.Draw(text_mask).text((pad - left, pad - top), text, font=font, fill=255)
    a = np.asarray(alpha, dtype=np.float32) / 255.0
    t = np.asarray(text_mask, dtype=np.float32) / 255.0
    # Dark rounded backing, white text on top.
    colour = np.repeat((t * 255.0)[:, :, None], 3, axis=2)
    combined = np.maximum(a, t)
    return colour.astype(np.float32), combined[:, :, None].astype(np.float32)


def apply_label(frame: Frame, text: str) -> Frame:
    """Return ``frame`` with ``text`` in its bottom-right corner (the input is not changed).

    The label is clipped to the frame when the frame is too small for it."""
    height, width = frame.shape[:2]
    colour, alpha = _stamp(text, height)
    margin = max(4, height // 60)
    h = min(colour.shape[0], height - margin)
    w = min(colour.shape[1], width - margin)
    if h <= 0 or w <= 0:
        return frame
    out = frame.copy()
    y0, x0 = height - margin - h, width - margin - w
    region = out[y0 : y0 + h, x0 : x0 + w].astype(np.float32)
    a = alpha[:h, :w]
    blended = region * (1.0 - a) + colour[:h, :w] * a
    out[y0 : y0 + h, x0 : x0 + w] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out


__all__ = ["DEFAULT_TEXT", "apply_label", "label_text"]
