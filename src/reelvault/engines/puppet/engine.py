"""The ``puppet`` engine: portrait + reference dance video → the portrait's person dancing."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import Field

from reelvault.engines.base import (
    Derivation,
    EngineBase,
    EngineLimits,
    EngineParams,
    Frame,
    GenerationRequest,
    ProgressCallback,
    VideoFrames,
)
from reelvault.engines.puppet.motion import FRAME_SIDE, motion_landmarks, resample
from reelvault.engines.puppet.rig import (
    ALL_BONES,
    LIMBS,
    MID_HIP,
    MID_SHOULDER,
    Rig,
    clamp_to_frame,
    retarget,
    with_mid_joints,
)
from reelvault.engines.puppet.stages import Pending, Stages, StoppedError
from reelvault.errors import ValidationError
from reelvault.logs import native_output_quieted
from reelvault.media.bvh import Motion, is_bvh, read_bvh
from reelvault.media.decode import count_resampled_frames, iter_video_frames
from reelvault.media.pose import (
    MIRROR,
    NAMES,
    OneEuro,
    Points,
    PortraitPose,
    fill_gaps,
    portrait_pose,
    track,
    visible,
)
from reelvault.media.validate import MediaLimits, ValidatedVideo, load_image, validate_video
from reelvault.types import Task

MIN_FOUND_FRACTION = 0.5
_AHEAD = 4  # frames a stage may run ahead of the next (bounded memory)
_PIECE_MIN = 60  # frames: a shorter reference is tracked in one piece
_WARMUP_S = 0.5  # seconds a later piece's tracker runs before its first kept frame
_TRACK_SIDE = 384
_REQUIRED = (0, 11, 12, 23, 24)


class PuppetParams(EngineParams):
    """Options of the puppet engine."""

    mirror: bool = Field(False, description="Dance the mirror image of the reference.")
    side_by_side: bool = Field(False, description="Reference on the left, result on the right.")
    background: Literal["photo", "reference"] = Field(
        "photo", description="Behind the dancer: the photo (person removed) or the reference."
    )
    fps_from: Literal["reference", "request"] = Field(
        "reference", description="Frame rate of the output: the reference's or the request's."
    )


def _params(request: GenerationRequest) -> PuppetParams:
    params = request.params
    if isinstance(params, PuppetParams):
        return _prompt_words(request, params)
    if type(params) is EngineParams:
        return _prompt_words(request, PuppetParams())
    raise ValidationError(
        f"the puppet engine needs PuppetParams, not {type(params).__name__}", param="params"
    )


def _prompt_words(request: GenerationRequest, params: PuppetParams) -> PuppetParams:
    """A remix or an edit dances the same inputs again, with what its prompt's words ask
    for ("mirrored", "side by side", "in the reference's room"); other jobs take their
    parameters as given."""
    if request.derivation not in (Derivation.REMIX, Derivation.EDIT):
        return params
    text = " ".join(re.findall(r"[a-z]+", (request.prompt or "").lower()))
    changes: dict[str, object] = {}
    if re.search(r"\b(mirror|mirrored|flipped|flip)\b", text):
        changes["mirror"] = not re.search(r"\b(not|un|no) ?(mirror|mirrored|flipped)\b", text)
    if "side by side" in text:
        changes["side_by_side"] = True
    if re.search(r"\b(reference|original)( s)? (room|background|video)\b", text):
        changes["background"] = "reference"
    return params.model_copy(update=changes) if changes else params


def _cover(image: npt.NDArray[Any], width: int, height: int) -> npt.NDArray[Any]:
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    left, top = (new_w - width) // 2, (new_h - height) // 2
    return np.ascontiguousarray(resized[top : top + height, left : left + width])


def _fill(image: Frame, mask: npt.NDArray[np.float32]) -> Frame:
    """The image with the person inpainted away (low resolution fill, widened hole)."""
    height, width = image.shape[:2]
    hole = (mask > 0.15).astype(np.uint8) * 255
    grow = max(3, round(0.03 * max(width, height)))
    hole = np.asarray(cv2.dilate(hole, np.ones((grow, grow), np.uint8)), np.uint8)
    factor = min(1.0, 256 / max(width, height))
    size = (max(8, round(width * factor)), max(8, round(height * factor)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    small_hole = cv2.resize(hole, size, interpolation=cv2.INTER_NEAREST)
    filled = cv2.resize(cv2.inpaint(small, small_hole, 5, cv2.INPAINT_TELEA), (width, height))
    blend = cv2.GaussianBlur(hole.astype(np.float32) / 255.0, (0, 0), grow / 2)
    return np.asarray(cv2.blendLinear(filled, image, blend, 1.0 - blend), dtype=np.uint8)


def _place(
    photo: Frame,
    points: npt.NDArray[np.float32],
    mask: npt.NDArray[np.float32],
    width: int,
    height: int,
    cropped: bool,
) -> tuple[Frame, npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Scale and move the person of the photo into the output frame (about 80% of its
    height, centred); returns the photo, its joints and its mask in output pixels."""
    ys, xs = np.nonzero(mask > 0.5)
    top, bottom, left, right = ys.min(), ys.max(), xs.min(), xs.max()
    scale = min(0.8 * height / max(1, bottom - top), 0.9 * width / max(1, right - left))
    offset_x = width / 2 - scale * (left + right) / 2
    offset_y = (height - scale * bottom) if cropped else (0.92 * height - scale * bottom)
    matrix = np.array([[scale, 0, offset_x], [0, scale, offset_y]], dtype=np.float64)
    size = (width, height)
    placed = cv2.warpAffine(
        photo,
        matrix,
        size,
        flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    placed_mask = cv2.warpAffine(mask, matrix, size, flags=cv2.INTER_LINEAR)
    moved = points.copy()
    moved[:, 0] = points[:, 0] * scale + offset_x
    moved[:, 1] = points[:, 1] * scale + offset_y
    return (np.asarray(placed, np.uint8), moved, np.asarray(placed_mask, np.float32))


class PuppetEngine(EngineBase):
    """Makes the person of a photo dance like the person of a reference video, on the CPU."""

    name: ClassVar[str] = "puppet"
    description: ClassVar[str] = (
        "Dance: tracks the pose of the reference dancer in every frame (or reads a BVH "
        "motion-capture file), cuts the person of the photo into a 2D puppet rigged to "
        "their own skeleton, and poses it with the dancer's joint angles over the photo's "
        "background (person removed). Keeps the reference's music and length. A 2D rig: "
        "turns and occlusions are approximate."
    )
    tasks: ClassVar[frozenset[Task]] = frozenset({Task.DANCE})
    device: ClassVar[str] = "cpu"
    runs_locally: ClassVar[bool] = True
    reads_motion: ClassVar[bool] = True
    params_model: ClassVar[type[EngineParams]] = PuppetParams
    limits: ClassVar[EngineLimits] = EngineLimits(max_pixels=1280 * 720, max_seconds=60.0)
    media_limits: ClassVar[MediaLimits] = MediaLimits()
    # The same photo and reference danced again with the new prompt's words; a dance
    # follows its reference's length, so it is not extended.
    derivations: ClassVar[frozenset[Derivation]] = frozenset({Derivation.REMIX, Derivation.EDIT})

    def __init__(self, *, pipelined: bool = True) -> None:
        # False: every stage in the caller's thread, one after the other (the same frames).
        self.pipelined = pipelined

    def run(self, request: GenerationRequest, progress: ProgressCallback) -> VideoFrames:
        params, image_path, reference_path = self._checked_request(request)
        photo = load_image(image_path, self.media_limits).pixels
        reference = _open_reference(reference_path, self.media_limits, params)
        progress(0.0, "finding the person in the photo")

        fps = request.fps
        if params.fps_from == "reference":
            fps = int(min(self.limits.max_fps, max(self.limits.min_fps, round(reference.fps))))
        seconds = min(reference.duration_seconds, request.seconds, self.limits.max_seconds)
        count = count_resampled_frames(seconds, fps)
        panel_width = request.width // 2 if params.side_by_side else request.width
        width, height = panel_width, request.height

        with Stages("dance", threaded=self.pipelined) as stages:
            # The photo needs no reference: it is analysed while the dancer is tracked.
            rigging = stages.beside("photo", lambda: _person(photo, width, height, params))
            if isinstance(reference, Motion):
                reference_joints = _motion_dancer(reference, fps, count, params, progress)
            else:
                reference_joints = _track_dancer(
                    reference_path, reference, fps, count, params, progress, stages, rigging
                )
            person = rigging.result(stages.stopped)
        count = len(reference_joints)
        posed_at = _choreography(
            person.rig, person.rest, reference_joints, person.chains, width, height, person.cropped
        )
        frames = _render_frames(
            person.rig,
            posed_at,
            person.background,
            reference_path,
            (fps, count, width, height),
            params,
            progress,
            threaded=self.pipelined,
        )
        has_audio = isinstance(reference, ValidatedVideo) and reference.has_audio
        return VideoFrames(
            frames=frames,
            frame_count=count,
            fps=fps,
            width=width * (2 if params.side_by_side else 1),
            height=height,
            audio_path=reference_path if has_audio else None,
        )

    def _checked_request(self, request: GenerationRequest) -> tuple[PuppetParams, Path, Path]:
        """The request's parameters, photo and reference video, once they can be danced."""
        if request.task is not Task.DANCE:
            raise ValidationError(
                f"the puppet engine does dance, not {request.task.value}", param="task"
            )
        self.limits.check(
            width=request.width, height=request.height, fps=request.fps, seconds=request.seconds
        )
        params = _params(request)
        image_path = request.inputs.get("image")
        reference_path = request.inputs.get("reference_video")
        if image_path is None:
            raise ValidationError("the puppet engine needs a photo of a person", param="image")
        if reference_path is None:
            raise ValidationError(
                "the puppet engine needs a reference video or BVH file", param="reference_video"
            )
        if params.side_by_side and request.width % 4:
            raise ValidationError("side_by_side needs a width divisible by 4", param="size")
        return params, image_path, reference_path


def _find_person(photo: Frame) -> tuple[PortraitPose, set[str]]:
    """The person of the photo, and the limbs (chains) seen whole; their head, shoulders and
    hips must show."""
    portrait = portrait_pose(photo)
    if portrait is None or float((portrait.mask > 0.5).mean()) < 0.01:
        raise ValidationError("no person found in the photo", param="image")
    seen = visible(portrait.points, photo.shape[1], photo.shape[0])
    missing = [NAMES[j] for j in _REQUIRED if j not in seen]
    if missing:
        raise ValidationError(
            "the photo must show the person's head, shoulders and hips; missing: "
            + ", ".join(missing),
            param="image",
        )
    chains = {
        name for name, bones in LIMBS.items() if all(j in seen for bone in bones for j in bone)
    }
    return portrait, chains


@dataclass(frozen=True)
class _Person:
    """The photo's person, rigged for the output frame."""

    rig: Rig
    rest: Points
    background: Frame | None
    chains: set[str]
    cropped: bool


def _person(photo: Frame, width: int, height: int, params: PuppetParams) -> _Person:
    """Find the person of the photo and cut them out as a rig (no reference needed)."""
    portrait, chains = _find_person(photo)
    cropped = "left leg" not in chains and "right leg" not in chains
    rig, rest, background = _rig_person(photo, portrait, chains, width, height, cropped, params)
    return _Person(rig, rest, background, chains, cropped)


def _open_reference(
    path: Path, limits: MediaLimits, params: PuppetParams
) -> ValidatedVideo | Motion:
    """The reference: a video that passed the checks, or a BVH motion-capture file."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if not is_bvh(head):
        return validate_video(path, limits)
    if params.background == "reference" or params.side_by_side:
        raise ValidationError(
            "a BVH reference has no picture: background=reference and side_by_side need "
            "a reference video",
            param="params",
        )
    return read_bvh(path, limits)


def _mirrored(points: Points, width: float) -> Points:
    """The dance seen in a mirror: left and right swapped, x flipped."""
    flipped = points[:, [MIRROR.get(j, j) for j in range(33)], :]
    flipped[:, :, 0] = width - flipped[:, :, 0]
    return flipped


def _motion_dancer(
    motion: Motion, fps: int, count: int, params: PuppetParams, progress: ProgressCallback
) -> Points:
    """The BVH dancer's joints in every output frame: its skeleton's joints in the pose
    layout, seen by a fixed camera in front, at the output's frame rate."""
    progress(0.0, "reading the dance")
    points = resample(motion_landmarks(motion), motion.fps, fps, count)
    if params.mirror:
        points = _mirrored(points, FRAME_SIDE)
    progress(0.4, "reading the dance")
    return with_mid_joints(points)


def _pieces(count: int, fps: int) -> list[tuple[int, int, int]]:
    """How the reference is shared between trackers: ``(first decoded, first kept, stop)``
    frame indexes of each piece. A long reference is tracked in two halves at once (one
    core each); the second tracker starts :data:`_WARMUP_S` early and drops those frames,
    so its landmark smoothing and region of interest have settled when its half begins."""
    if count < 2 * _PIECE_MIN:
        return [(0, 0, count)]
    half = count // 2
    warmup = max(5, round(_WARMUP_S * fps))
    return [(0, 0, half), (max(0, half - warmup), half, count)]


def _track_dancer(
    reference_path: Path,
    reference: ValidatedVideo,
    fps: int,
    count: int,
    params: PuppetParams,
    progress: ProgressCallback,
    stages: Stages,
    beside: Pending[_Person],
) -> Points:
    """The reference dancer's joints in every output frame: tracked, gaps filled, mirrored
    if asked, smoothed, with the mid joints added. The first piece is tracked here, its
    frames decoded a few ahead in their own thread; later pieces each in their own thread.
    A failure of any other stage (``beside``: the photo's) stops the tracking at once."""
    scale = min(1.0, _TRACK_SIDE / max(reference.width, reference.height))
    size = (max(2, round(reference.width * scale)), max(2, round(reference.height * scale)))
    pieces = _pieces(count, fps)
    done = [0] * len(pieces)  # frames kept so far, per piece (for the progress bar)

    def decoded(first: int, stop: int) -> Iterator[Frame]:
        return iter_video_frames(
            reference_path, fps=fps, size=size, max_frames=stop, skip_frames=first
        )

    def later(slot: int, first: int, keep: int, stop: int) -> tuple[Points, npt.NDArray[Any]]:
        def count_kept(n: int) -> None:
            if stages.stopped.is_set():  # another stage failed, or the job was cancelled
                raise StoppedError("the dance was stopped")
            done[slot] = max(0, n - (keep - first))

        points, found = track(decoded(first, stop), count_kept)
        return points[keep - first :], found[keep - first :]

    others = [
        stages.beside(f"track{slot}", functools.partial(later, slot, *piece))
        for slot, piece in enumerate(pieces[1:], start=1)
    ]

    def tracked(n: int) -> None:
        done[0] = n
        waiting: list[Pending[Any]] = [beside, *others]
        for pending in waiting:
            failure = pending.failed()
            if failure is not None:
                raise failure
        progress(0.4 * sum(done) / count, "reading the dance")

    first_points, first_found = track(
        stages.ahead("decode", decoded(0, pieces[0][2]), _AHEAD), tracked
    )
    parts = [(first_points, first_found)] + [
        pending.result(stages.stopped, tick=lambda: tracked(done[0])) for pending in others
    ]
    points = np.concatenate([piece for piece, _ in parts])
    found = np.concatenate([seen for _, seen in parts])
    return _dancer_joints(points, found, fps, size[0], params)


def _dancer_joints(
    points: Points, found: npt.NDArray[np.bool_], fps: int, width: int, params: PuppetParams
) -> Points:
    """The tracked landmarks made a dancer: enough frames found, gaps filled, mirrored if
    asked, smoothed, with the mid joints added."""
    fraction = float(found.mean()) if len(found) else 0.0
    if fraction < MIN_FOUND_FRACTION:
        raise ValidationError(
            f"a person was found in only {fraction:.0%} of the reference video's frames "
            f"(at least {MIN_FOUND_FRACTION:.0%} needed)",
            param="reference_video",
        )
    points = fill_gaps(points, found)
    if params.mirror:
        points = _mirrored(points, width)
    points[:, :, :2] = OneEuro(float(fps))(points[:, :, :2])
    return with_mid_joints(points)


def _rig_person(
    photo: Frame,
    portrait: PortraitPose,
    chains: set[str],
    width: int,
    height: int,
    cropped: bool,
    params: PuppetParams,
) -> tuple[Rig, Points, Frame | None]:
    """The person cut out of the photo as a rig at rest, its rest joints, and the photo
    with the person removed when it is the background."""
    placed, rest_points, mask = _place(
        photo, portrait.points, portrait.mask, width, height, cropped
    )
    rest = with_mid_joints(rest_points)
    background = (
        _fill(_cover(photo, width, height), _cover(portrait.mask, width, height))
        if params.background == "photo"
        else None
    )
    alpha = np.clip((mask - 0.3) / 0.4, 0.0, 1.0).astype(np.float32)
    return Rig(placed, alpha, rest, chains), rest, background


def _choreography(
    rig: Rig,
    rest: Points,
    reference_joints: Points,
    chains: set[str],
    width: int,
    height: int,
    cropped: bool,
) -> Callable[[int], Points]:
    """Where the rig's joints go in frame ``index``: the dancer's joint angles on the rig's
    own bone lengths, scaled and kept inside the frame."""
    torso = np.hypot(*(reference_joints[:, MID_SHOULDER, :2] - reference_joints[:, MID_HIP, :2]).T)
    typical_torso = float(np.median(torso))
    nominal = {
        bone: float(
            np.percentile(
                np.hypot(*(reference_joints[:, bone[1], :2] - reference_joints[:, bone[0], :2]).T),
                90,
            )
        )
        for bone in ALL_BONES
    }
    origin = np.median(reference_joints[:, MID_HIP, :2], axis=0).astype(np.float32)
    size_ratio = rig.torso_length / max(typical_torso, 1e-3)
    drawn = [MID_HIP, MID_SHOULDER, 0, 11, 12, 23, 24] + [
        j for name in chains for bone in LIMBS[name] for j in bone
    ]
    margin = 0.3 * rig.torso_length

    def posed_at(index: int) -> npt.NDArray[np.float32]:
        root_scale = min(1.3, max(0.75, float(torso[index]) / max(typical_torso, 1e-3)))
        posed = retarget(rest, reference_joints[index], nominal, origin, root_scale, size_ratio)
        shifted = clamp_to_frame(posed[drawn], width, height, margin, keep_bottom=not cropped)
        moved: npt.NDArray[np.float32] = (posed + (shifted[0] - posed[drawn][0])).astype(np.float32)
        return moved

    return posed_at


def _render_frames(
    rig: Rig,
    posed_at: Callable[[int], Points],
    background: Frame | None,
    reference_path: Path,
    shape: tuple[int, int, int, int],
    params: PuppetParams,
    progress: ProgressCallback,
    *,
    threaded: bool,
) -> Iterator[Frame]:
    """The output frames, lazily, rendered a few frames ahead in their own thread while
    the job watermarks and encodes the earlier ones; progress (and with it the job's
    cancellation) is reported from the consumer's side. Closing the iterator stops and
    joins the render thread."""
    count = shape[1]
    with Stages("render", threaded=threaded) as stages:
        drawn = _drawn_frames(rig, posed_at, background, reference_path, shape, params)
        for index, frame in enumerate(stages.ahead("render", drawn, depth=_AHEAD)):
            progress(0.4 + 0.6 * (index + 1) / count, "rendering")
            yield frame


def _drawn_frames(
    rig: Rig,
    posed_at: Callable[[int], Points],
    background: Frame | None,
    reference_path: Path,
    shape: tuple[int, int, int, int],
    params: PuppetParams,
) -> Iterator[Frame]:
    """The posed rig over its background, the reference beside it when asked."""
    fps, count, width, height = shape
    backdrop: Iterator[Frame] | None = None
    if params.background == "reference" or params.side_by_side:
        backdrop = iter_video_frames(reference_path, fps=fps, max_frames=count)
    try:
        for index in range(count):
            reference_frame = next(backdrop) if backdrop is not None else None
            if background is not None:
                behind = background
            else:
                assert reference_frame is not None
                behind = _reference_plate(reference_frame, width, height)
            frame = rig.render(behind, posed_at(index))
            if params.side_by_side:
                assert reference_frame is not None
                frame = np.hstack([_cover(reference_frame, width, height), frame])
            yield frame
    finally:
        close = getattr(backdrop, "close", None)
        if close is not None:
            close()  # the reference's decoder, in the thread that used it


def _reference_plate(frame: Frame, width: int, height: int) -> Frame:
    """A reference frame with its dancer removed, as a backdrop."""
    import mediapipe as mp  # type: ignore[import-untyped]

    plate = _cover(frame, width, height)
    with (
        native_output_quieted(),
        mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as segmenter,
    ):
        mask = np.asarray(segmenter.process(plate).segmentation_mask, np.float32)
    return _fill(plate, mask)


__all__ = ["PuppetEngine", "PuppetParams"]
