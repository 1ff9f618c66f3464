"""What a job must pass before it is stored: content moderation and the likeness affirmation.

Called by :func:`reelvault.jobs.submission.prepare_job`, the one place jobs are created
(the native API, the OpenAI-compatible API, the studio and the CLI alike), before any
row is written; a refusal there shreds the request's uploads, so nothing of it is kept.

* The prompt goes through the moderators that read text (the built-in rule list always).
* Uploaded images, and a few frames of an uploaded video, go through the moderators
  that look at images, when the settings name any.
* An image→video or dance input image in which a face is found needs the caller's
  affirmation (``likeness_affirmed``) that they are the person shown or have that
  person's permission; it is recorded in the consent ledger (through the runtime's
  :class:`~reelvault.runtime.JobGate`), the face itself nowhere.
* A flag or a block is counted in the anonymous statistics (its stage, verdict and
  categories, through the gate), never the content.

Decrypted inputs exist only in a private folder of the scratch root (in memory by
default) while they are looked at, and the folder goes when the check ends.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from reelvault.errors import LikenessAffirmationRequiredError
from reelvault.jobs.request import JobRequest
from reelvault.jobs.uploads import UploadedInput
from reelvault.media.decode import Frame, iter_video_frames
from reelvault.media.faces import count_faces
from reelvault.media.validate import load_preview
from reelvault.moderation import Decision, Verdict, enforce
from reelvault.runtime import Runtime, ensure_scratch_root
from reelvault.types import Task

LIKENESS_TASKS = frozenset({Task.IMAGE_TO_VIDEO, Task.DANCE})
VIDEO_SAMPLE_FPS = 1.0
PREVIEW_SIDE = 1024
"""Longest side of the copy of an upload that moderators and the face check look at."""
SCREENING_PREFIX = "screen-"
"""Scratch folders of checks in progress (the stale-scratch sweep leaves them alone)."""

LIKENESS_MESSAGE = (
    "the image shows a face: confirm that you are the person shown or have their "
    "permission to animate them (likeness_affirmed=true)"
)


def screen_request(
    runtime: Runtime, request: JobRequest, uploads: Sequence[UploadedInput] = ()
) -> None:
    """Raise :class:`~reelvault.errors.ContentBlockedError` (400) for content the
    moderators block, :class:`LikenessAffirmationRequiredError` (400) for a face without
    the affirmation; record the affirmation where one was needed and given."""
    pipeline = runtime.moderation
    prompt = pipeline.assess_text(request.prompt or "")
    _count(runtime, request, "prompt", prompt)
    enforce(prompt, what="the prompt", param="prompt")
    likeness = runtime.settings.likeness_affirmation and request.task in LIKENESS_TASKS
    if not uploads or not (pipeline.checks_images or likeness):
        return
    faces = 0
    root = ensure_scratch_root(runtime.settings)
    with tempfile.TemporaryDirectory(dir=root, prefix=SCREENING_PREFIX) as folder:
        for upload in uploads:
            path = Path(folder) / upload.name
            runtime.vault.write_to(upload.object_id, path)
            try:
                if upload.media_type.kind == "image":
                    pixels = load_preview(path, PREVIEW_SIDE)
                    _moderate(runtime, request, [pixels], upload.name)
                    if likeness and upload.name == "image":
                        faces += count_faces(pixels)
                elif upload.media_type.kind == "video" and pipeline.checks_images:
                    # A video's frames; a motion-capture file (BVH) holds no picture.
                    _moderate(runtime, request, _sample_frames(runtime, path), upload.name)
            finally:
                path.unlink(missing_ok=True)
    if faces:
        if not request.likeness_affirmed:
            raise LikenessAffirmationRequiredError(LIKENESS_MESSAGE, param="likeness_affirmed")
        runtime.hooks.gate.affirm_likeness(runtime, request.owner_id)


def _sample_frames(runtime: Runtime, path: Path) -> list[Frame]:
    count = max(1, runtime.settings.moderation_output_frames)
    frames = iter_video_frames(path, fps=VIDEO_SAMPLE_FPS, max_frames=count)
    return [_smaller(frame) for frame in frames]


def _smaller(frame: Frame) -> Frame:
    height, width = frame.shape[:2]
    step = max(1, -(-max(height, width) // PREVIEW_SIDE))
    return frame[::step, ::step].copy() if step > 1 else frame


def _moderate(runtime: Runtime, request: JobRequest, images: Sequence[Frame], name: str) -> None:
    pipeline = runtime.moderation
    if pipeline.checks_images and images:
        decision = pipeline.assess_images(images)
        _count(runtime, request, "upload", decision)
        enforce(decision, what=f"the {name.replace('_', ' ')}", param=name)


def _count(runtime: Runtime, request: JobRequest, stage: str, decision: Decision) -> None:
    """A flag or block goes into the anonymous statistics (categories only)."""
    if decision.verdict is not Verdict.ALLOW:
        runtime.hooks.gate.count_moderation(runtime, request.owner_id, stage, decision)


__all__ = ["LIKENESS_MESSAGE", "LIKENESS_TASKS", "SCREENING_PREFIX", "screen_request"]
