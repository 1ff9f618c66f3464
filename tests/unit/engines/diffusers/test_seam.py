"""The seam of an image→video extension: the VAE's colour shift faded out over a few frames."""

from __future__ import annotations

import numpy as np

from reelvault.engines.diffusers.derived import seam_fade


def _flat(value: int) -> np.ndarray:
    return np.full((4, 6, 3), value, dtype=np.uint8)


def test_the_first_new_frames_are_moved_toward_the_source_and_the_rest_left_as_made() -> None:
    before = _flat(100)  # the source's last frame
    remade = _flat(130)  # the same picture through the pipeline's VAE: 30 brighter
    made = [_flat(130 + index) for index in range(6)]  # and the new frames carry the shift
    joined = list(seam_fade(iter(made), before=before, remade=remade, count=3))
    # -30 by 3/4, 2/4, 1/4 (rounded half to even), then nothing.
    assert [int(frame[0, 0, 0]) for frame in joined] == [108, 116, 124, 133, 134, 135]
    # Without it the seam jumps by 30 levels; with it by 8, and the fade is gradual.
    assert abs(int(joined[0][0, 0, 0]) - 100) < abs(int(made[0][0, 0, 0]) - 100)
    assert all(frame.dtype == np.uint8 and frame.shape == (4, 6, 3) for frame in joined)


def test_the_fade_stays_within_the_pixel_range() -> None:
    joined = list(seam_fade(iter([_flat(5)]), before=_flat(250), remade=_flat(0), count=1))
    assert int(joined[0][0, 0, 0]) == 130  # 5 + 250 / 2
    darker = list(seam_fade(iter([_flat(250)]), before=_flat(0), remade=_flat(255), count=4))
    assert int(darker[0][0, 0, 0]) == 46  # 250 - 255 * 4 / 5 = 46
    clipped = list(seam_fade(iter([_flat(10)]), before=_flat(0), remade=_flat(255), count=9))
    assert int(clipped[0][0, 0, 0]) == 0
