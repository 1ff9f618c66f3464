"""Dance fidelity on real clips: does the puppet follow the reference dancer, and keep
the photo's proportions? (issue 21, goals 1 and 2)

    python bench/dance_fidelity.py [--media DIR] [--size 512] [--clips a,b] [--photos a,b]

For every reference clip x full-body photo of the shared public media set
(``shared/media``, provenance and licences in its ``SOURCES.md``), the ``puppet``
engine dances the photo as ``reelvault dance`` asks it to (512x512, 30 fps requested,
the reference's own rate and length, default parameters). MediaPipe Pose (the
project's own tracker, :func:`reelvault.media.pose.track`) then measures the reference
and the output, frame by frame:

* **moving joints**: the reference's joints whose unsigned angle (elbows, shoulders,
  hips, knees; 0..pi) varies with a std >= 0.3 rad; the correlation of the output's
  angle with the reference's, per joint, and their mean (goal >= 0.85 on every clip);
* **still joints**: the reference's joints with a std < 0.1 rad; the std of the same
  joint in the output, i.e. invented motion (goal <= 0.15 rad);
* **bones**: every limb bone and the head (nose to mid-shoulder) of the output,
  relative to its torso, against the same ratio in the photo; the share of
  frame-bones within +-15% and the share stretched beyond +15% (goal: none).
  A bone the reference foreshortens is legitimately shorter: read "stretched".

Some clips are crops of a public file (the GIF shows two people side by side); the crop
is written, losslessly enough (x264 crf 12), to a temporary file that is deleted after.
Never tune the engine on one row of this table: the goals hold on every row or not.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

import reelvault.engines.puppet.engine as puppet
from reelvault.engines.base import Frame, GenerationRequest
from reelvault.engines.puppet import PuppetEngine, PuppetParams
from reelvault.logs import configure_logging
from reelvault.media.decode import iter_video_frames
from reelvault.media.pose import Points, joint_angles, portrait_pose, track, visible
from reelvault.media.validate import load_image, validate_video
from reelvault.types import Task

ROOT = Path(__file__).resolve().parents[1]
MOVING, STILL = 0.3, 0.1  # rad: a reference joint's std that makes it moving / still
GOAL_CORRELATION, GOAL_STILL, GOAL_BONE = 0.85, 0.15, 0.15
REFERENCE_SIDE = 640  # px: the reference is measured at most this large


@dataclass(frozen=True)
class Clip:
    name: str
    path: str  # inside the media folder
    crop: tuple[int, int, int, int] | None = None  # left, top, right, bottom


CLIPS = (
    Clip(
        "dance: woman, living room (GIF, right panel)",
        "videos/dance_and_squat_side_by_side.gif",
        (200, 0, 600, 244),
    ),
    Clip(
        "sport: walk, jumping jacks, flip (outdoor)", "videos/sports2d_walk_jumpingjacks_flip.mp4"
    ),
    Clip("squats: woman with band, portrait", "videos/squats_woman_720x1280_5fps.mp4"),
    Clip(
        "squats: man (GIF, left panel)", "videos/dance_and_squat_side_by_side.gif", (0, 0, 200, 244)
    ),
    Clip("SYNTHETIC dance (CG; the tests' clip)", "videos/SYNTHETIC_dance_moves_576.mp4"),
)
PHOTOS = {
    "yoga (beach, frontal)": "photos/fullbody_yoga_beach.jpg",
    "couple walking (2 people, dog)": "photos/fullbody_couple_walking.jpg",
    "skier (side-on, poles)": "photos/fullbody_skier_coco000000000785.jpg",
}
# Bones judged for stretching: (name, parent, child); rows 33/34 are mid-hip/-shoulder.
BONES = (
    ("head", 34, 0),
    ("left upper arm", 11, 13),
    ("right upper arm", 12, 14),
    ("left forearm", 13, 15),
    ("right forearm", 14, 16),
    ("left thigh", 23, 25),
    ("right thigh", 24, 26),
    ("left shin", 25, 27),
    ("right shin", 26, 28),
)


@dataclass(frozen=True)
class Row:
    clip: str
    photo: str
    frames: int
    fps: int
    seconds: float
    correlations: dict[str, float]
    still: dict[str, float]
    within: float
    stretched: float
    worst_bone: str


def _with_mids(points: Points) -> Points:
    mid_hip = (points[:, 23:24] + points[:, 24:25]) / 2
    mid_shoulder = (points[:, 11:12] + points[:, 12:13]) / 2
    return np.concatenate([points[:, :33], mid_hip, mid_shoulder], axis=1)


def _cropped(source: Path, crop: tuple[int, int, int, int], directory: Path) -> Path:
    """A crop of ``source`` as an MP4 at its own frame rate (near-lossless)."""
    left, top, right, bottom = crop
    width, height = (right - left) // 2 * 2, (bottom - top) // 2 * 2
    with av.open(str(source)) as probe:  # a GIF: not a video the service accepts as such
        rate = probe.streams.video[0].average_rate or probe.streams.video[0].guessed_rate
    fps = float(rate) if rate else 10.0
    target = directory / f"crop_{source.stem}_{left}_{top}.mp4"
    with av.open(str(target), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(round(fps * 1000), 1000))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "12"}
        for pixels in iter_video_frames(source):
            part = np.ascontiguousarray(pixels[top : top + height, left : left + width])
            container.mux(stream.encode(av.VideoFrame.from_ndarray(part, format="rgb24")))
        container.mux(stream.encode(None))
    return target


def _tracked(frames: Iterable[Frame]) -> tuple[Points, npt.NDArray[np.bool_]]:
    points, found = track(frames)
    points = points.copy()
    points[~found] = np.nan
    return _with_mids(points), found


def _bone_ratios(output: Points, photo: Points, seen: set[int]) -> dict[str, npt.NDArray]:
    """Each bone's length over the torso's in the output, divided by the same in the photo."""

    def relative(points: Points, parent: int, child: int) -> npt.NDArray[np.float64]:
        bone = np.linalg.norm(points[:, child, :2] - points[:, parent, :2], axis=1)
        torso = np.linalg.norm(points[:, 34, :2] - points[:, 33, :2], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(bone / torso, np.float64)

    ratios = {}
    for name, parent, child in BONES:
        if child not in seen or (parent < 33 and parent not in seen):
            continue  # a limb the photo does not show is not drawn
        ratios[name] = relative(output, parent, child) / relative(photo[None], parent, child)[0]
    return ratios


def _dance(
    photo: Path, reference: Path, size: int, scratch: Path
) -> tuple[Points, npt.NDArray[np.bool_], int]:
    """The output's landmarks, as ``reelvault dance`` asks the engine (frames streamed
    into the tracker: no whole-video frame list)."""
    request = GenerationRequest(
        task=Task.DANCE,
        width=size,
        height=size,
        fps=30,
        seconds=20.0,
        seed=0,
        scratch_dir=scratch,
        params=PuppetParams(),
        inputs={"image": photo, "reference_video": reference},
    )
    video = PuppetEngine().run(request, lambda fraction, stage: None)
    points, found = _tracked(video.frames)
    return points, found, video.fps


def _reference(reference: Path, fps: int, count: int) -> tuple[Points, npt.NDArray[np.bool_]]:
    """The reference's landmarks at the output's frame rate (at most REFERENCE_SIDE px a
    side; with several people in the clip, MediaPipe may follow another one than the
    engine's tracker did at its own size: try ``--reference-side 384``)."""
    info = validate_video(reference)
    scale = min(1.0, REFERENCE_SIDE / max(info.width, info.height))
    side = (max(2, round(info.width * scale)), max(2, round(info.height * scale)))
    return _tracked(iter_video_frames(reference, fps=fps, size=side, max_frames=count))


def _angle_stats(
    ours: Points, theirs: Points, found: npt.NDArray[np.bool_]
) -> tuple[dict[str, float], dict[str, float]]:
    """Correlations of the reference's moving joints; the output's std of its still ones."""
    ours_a, theirs_a = joint_angles(ours[found]), joint_angles(theirs[found])
    correlations, still = {}, {}
    for name in ours_a:
        a, b = ours_a[name], theirs_a[name]
        keep = ~(np.isnan(a) | np.isnan(b))
        if keep.sum() < 3:
            continue
        spread = float(np.std(b[keep]))
        if spread >= MOVING:
            correlations[name] = float(np.corrcoef(a[keep], b[keep])[0, 1])
        elif spread < STILL:
            still[name] = float(np.std(a[keep]))
    return correlations, still


def _bone_stats(output: Points, photo: Path) -> tuple[float, float, str]:
    """Share of frame-bones within +-15% of the photo's proportions, share stretched
    beyond, and the bone whose median ratio is furthest from 1."""
    pixels = load_image(photo).pixels
    pose = portrait_pose(pixels)
    if pose is None:
        return float("nan"), float("nan"), "no person in the photo"
    seen = visible(pose.points, pixels.shape[1], pixels.shape[0])
    ratios = _bone_ratios(output, _with_mids(pose.points[None])[0], seen)
    if not ratios:
        return float("nan"), float("nan"), "-"
    every = np.concatenate([r[np.isfinite(r)] for r in ratios.values()])
    worst = max(ratios, key=lambda n: abs(float(np.nanmedian(ratios[n])) - 1))
    return (
        float(np.mean(np.abs(every - 1) <= GOAL_BONE)),
        float(np.mean(every > 1 + GOAL_BONE)),
        f"{worst} x{float(np.nanmedian(ratios[worst])):.2f}",
    )


def measure(
    clip: str, photo_name: str, photo: Path, reference: Path, size: int, scratch: Path
) -> Row:
    """One row of the table: ``photo`` dancing ``reference``, measured."""
    ours, found_out, fps = _dance(photo, reference, size, scratch)
    theirs, found_ref = _reference(reference, fps, len(ours))
    count = min(len(ours), len(theirs))
    found = found_out[:count] & found_ref[:count]
    correlations, still = _angle_stats(ours[:count], theirs[:count], found)
    within, stretched, worst = _bone_stats(ours[found_out], photo)
    return Row(
        clip,
        photo_name,
        len(ours),
        fps,
        len(ours) / fps,
        correlations,
        still,
        within,
        stretched,
        worst,
    )


def _print_row(row: Row) -> None:
    mean = np.mean(list(row.correlations.values())) if row.correlations else float("nan")
    still = max(row.still.values()) if row.still else float("nan")
    print(
        f"{row.clip[:44]:44} {row.photo[:30]:30} {row.frames:4d}@{row.fps:<2d} "
        f"{len(row.correlations):3d} {mean:6.2f} {len(row.still):3d} {still:6.2f} "
        f"{row.within:6.0%} {row.stretched:6.0%}  {row.worst_bone}"
    )
    joints = ", ".join(f"{name} {value:.2f}" for name, value in row.correlations.items())
    quiet = ", ".join(f"{name} {value:.2f}" for name, value in row.still.items())
    print(f"    moving: {joints or '-'}")
    print(f"    still (output std, rad): {quiet or '-'}")


def _summary(rows: list[Row]) -> None:
    print("\nper clip (mean over photos) against the goals:")
    for clip in dict.fromkeys(row.clip for row in rows):
        mine = [row for row in rows if row.clip == clip]
        corr = [np.mean(list(r.correlations.values())) for r in mine if r.correlations]
        still = [max(r.still.values()) for r in mine if r.still]
        moving = f"{np.mean(corr):.2f}" if corr else "-"
        worst_still = f"{max(still):.2f}" if still else "-"
        ok = bool(corr) and min(corr) >= GOAL_CORRELATION and all(s <= GOAL_STILL for s in still)
        print(
            f"  {clip[:44]:44} moving corr {moving} (worst photo "
            f"{min(corr) if corr else float('nan'):.2f}), still max {worst_still} rad, "
            f"stretched {max(r.stretched for r in mine):.0%}: "
            f"{'meets' if ok else 'misses'} goals 1"
        )


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{platform.platform()} | {cpu} | {os.cpu_count()} CPUs | load {load}"


def _default_media() -> Path | None:
    for candidate in (ROOT / "shared" / "media", ROOT.parent / "shared" / "media"):
        if (candidate / "SOURCES.md").is_file():
            return candidate
    return None


def main() -> None:
    global REFERENCE_SIDE  # one setting for the whole run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=_default_media())
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--clips", default="", help="comma-separated indexes (default: all)")
    parser.add_argument("--photos", default="", help="comma-separated indexes (default: all)")
    parser.add_argument("--track-side", type=int, default=None, help="the engine's pose input")
    parser.add_argument("--reference-side", type=int, default=REFERENCE_SIDE)
    args = parser.parse_args()
    REFERENCE_SIDE = args.reference_side
    if args.media is None:
        parser.error("no shared/media folder found; give --media")
    if args.track_side is not None:
        puppet._TRACK_SIDE = args.track_side  # what a smaller pose input costs in fidelity
    configure_logging()
    clips = [CLIPS[int(i)] for i in args.clips.split(",") if i] or list(CLIPS)
    photos = list(PHOTOS.items())
    photos = [photos[int(i)] for i in args.photos.split(",") if i] or photos
    print(machine())
    print(
        f"goals: moving joints (ref std >= {MOVING} rad) mean corr >= {GOAL_CORRELATION}; "
        f"still joints (ref std < {STILL}) output std <= {GOAL_STILL} rad; "
        f"bones within +-{GOAL_BONE:.0%} of the photo's (stretched: none)"
    )
    print(f"{'clip':44} {'photo':30} frames  mov  corr sti  still within strch  worst bone")
    rows: list[Row] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        for clip in clips:
            reference = args.media / clip.path
            if clip.crop is not None:
                reference = _cropped(reference, clip.crop, Path(directory))
            for photo_name, photo in photos:
                rows.append(
                    measure(
                        clip.name,
                        photo_name,
                        args.media / photo,
                        reference,
                        args.size,
                        Path(directory),
                    )
                )
                _print_row(rows[-1])
    _summary(rows)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
