"""Check a file's provenance: its C2PA manifest (present, valid, tampered; signer and
claims) and the invisible watermark (found, confidence) — the latter works even when
the manifest was stripped, e.g. by a remux or a re-encode."""

from __future__ import annotations

import io
import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import av
import c2pa  # type: ignore[import-untyped]
import numpy as np
from PIL import Image, UnidentifiedImageError

from reelvault.config import Settings
from reelvault.errors import NotFoundError, PayloadTooLargeError, UnsupportedMediaError
from reelvault.media.mp4_tables import check_sample_tables
from reelvault.media.provenance.keys import watermark_key
from reelvault.media.provenance.manifest import IPTC, REELVAULT_ASSERTION
from reelvault.media.provenance.watermark import detect_watermark
from reelvault.media.validate import MediaLimits, max_declared_samples

ManifestState = Literal["absent", "valid", "invalid"]
_UNTRUSTED = "signingCredential.untrusted"
_MIME_BY_MAGIC = (
    (b"RIFF", "image/webp"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG", "image/png"),
)


@dataclass(frozen=True)
class VerificationReport:
    """What :func:`verify_file` found; :meth:`to_dict` is the JSON shape of the API."""

    media_type: str
    manifest: ManifestState
    trusted: bool = False
    signer: str | None = None
    issuer: str | None = None
    claim_generator: str | None = None
    digital_source_type: str | None = None
    engine: str | None = None
    model: str | None = None
    created: str | None = None
    actions: tuple[str, ...] = ()
    ingredients: int = 0
    failures: tuple[str, ...] = ()
    watermark_checked: bool = False
    watermark_found: bool = False
    watermark_confidence: float = 0.0
    watermark_id: str | None = None
    watermark_matches_manifest: bool | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def ai_generated(self) -> bool:
        return self.watermark_found or (
            self.manifest == "valid"
            and (self.digital_source_type or "").endswith(("AlgorithmicMedia", "algorithmicMedia"))
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ai_generated"] = self.ai_generated
        return data


def _media_type(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(16)
    if head[4:8] == b"ftyp":
        return "video/mp4"
    for magic, mime in _MIME_BY_MAGIC:
        if head.startswith(magic):
            return mime
    raise UnsupportedMediaError("provenance can be verified on MP4, WebP, JPEG and PNG files")


def _read_manifest(path: Path, mime: str) -> dict[str, Any]:
    result: dict[str, Any] = {"manifest": "absent"}
    try:
        with path.open("rb") as handle, c2pa.Reader(mime, handle) as reader:
            store = json.loads(reader.json())
            state = reader.get_validation_state()
            results = reader.get_validation_results() or {}
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or "not found" in str(exc).lower():
            return result
        # A manifest that cannot even be parsed is there, but broken.
        return {"manifest": "invalid", "failures": (type(exc).__name__.lstrip("_"),)}
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    active_results = results.get("activeManifest", {}) if isinstance(results, dict) else {}
    failures = [item.get("code", "") for item in active_results.get("failure", [])]
    failures += [item.get("code", "") for item in store.get("validation_status", []) or []]
    informational = [item.get("code", "") for item in active_results.get("informational", [])]
    real_failures = tuple(sorted({code for code in failures if code and code != _UNTRUSTED}))
    result["manifest"] = (
        "valid" if state in ("Valid", "Trusted") and not real_failures else "invalid"
    )
    result["failures"] = real_failures
    result["trusted"] = state == "Trusted" and _UNTRUSTED not in failures + informational
    signature = active.get("signature_info", {})
    result["signer"] = signature.get("common_name")
    result["issuer"] = signature.get("issuer")
    generators = active.get("claim_generator_info") or []
    if generators:
        result["claim_generator"] = (
            f"{generators[0].get('name')} {generators[0].get('version', '')}".strip()
        )
    result["ingredients"] = len(active.get("ingredients", []))
    actions: list[str] = []
    for assertion in active.get("assertions", []):
        label = assertion.get("label", "")
        data = assertion.get("data", {})
        if label.startswith("c2pa.actions"):
            for action in data.get("actions", []):
                actions.append(action.get("action", ""))
                source = action.get("digitalSourceType")
                if action.get("action") == "c2pa.created" and source:
                    result["digital_source_type"] = source.removeprefix(IPTC)
        elif label == REELVAULT_ASSERTION:
            result["engine"] = data.get("engine")
            result["model"] = data.get("model")
            result["created"] = data.get("created")
            result["manifest_watermark_id"] = data.get("watermark_id")
    result["actions"] = tuple(actions)
    return result


_CHECK_SIDE = 2048
"""Larger than the detector's window (the watermark module's ``MAX_DETECT_SIDE`` at its
largest scale, plus the detrending margin) and than any picture reelvault makes."""


def _image_frame(path: Path) -> list[np.ndarray[Any, np.dtype[np.uint8]]]:
    """The image's pixels for the watermark check; none when they cannot be decoded.

    The size its header declares is checked against the upload limits before a pixel
    is decoded: a few hundred bytes can declare billions of pixels (a decompression
    bomb), which Pillow would refuse with an exception of its own, or decode.
    """
    limits = MediaLimits()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(path.read_bytes())) as opened:
                image: Image.Image = opened
                width, height = image.size
                if (
                    width * height > limits.max_image_pixels
                    or max(width, height) > limits.max_image_side
                ):
                    raise PayloadTooLargeError(
                        f"the image is {width}x{height}; at most {limits.max_image_pixels} "
                        f"pixels and {limits.max_image_side} on the longer side can be checked",
                        param="file",
                    )
                if max(width, height) > _CHECK_SIDE:
                    # The detector reads a centred window (a crop is a shift to it): only
                    # that part goes on, not copies of the whole picture.
                    left, top = (
                        max(0, (width - _CHECK_SIDE) // 2),
                        max(0, (height - _CHECK_SIDE) // 2),
                    )
                    image = image.crop(
                        (left, top, min(width, left + _CHECK_SIDE), min(height, top + _CHECK_SIDE))
                    )
                return [np.asarray(image if image.mode == "RGB" else image.convert("RGB"))]
    except Image.DecompressionBombError:
        raise PayloadTooLargeError(
            "the image has more pixels than the limit", param="file"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        # Corrupt, truncated, or a metadata chunk past Pillow's limits (ValueError).
        return []


def verify_file(
    path: Path, settings: Settings, *, check_watermark: bool = True
) -> VerificationReport:
    """Verify ``path`` (MP4, WebP, JPEG or PNG). Never raises on a tampered or unmarked
    file: that is what the report says. Raises :class:`NotFoundError` for a missing file
    and :class:`UnsupportedMediaError` for another format or an MP4 that cannot be
    decoded."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError("no such file to verify")
    mime = _media_type(path)
    found = _read_manifest(path, mime)
    manifest_wm = found.pop("manifest_watermark_id", None)
    notes: list[str] = []
    report: dict[str, Any] = {"media_type": mime, **found}
    if found["manifest"] != "absent" and not found.get("trusted"):
        notes.append("the signing certificate is not in a trust list (e.g. a development CA)")
    if check_watermark:
        key = watermark_key(settings, create=False)
        if key is None:
            notes.append("no watermark key on this deployment: the watermark was not checked")
        else:
            if mime == "video/mp4":
                # FFmpeg trusts declared sample counts (see media.mp4_tables)
                check_sample_tables(path, max_declared_samples(MediaLimits()))
            source = path if mime == "video/mp4" else _image_frame(path)
            try:
                detection = detect_watermark(source, key)
            except (av.FFmpegError, IndexError):
                # Malformed or without a video stream. FFmpeg's message names the file's
                # path on this server: it is not passed on.
                raise UnsupportedMediaError(
                    "the MP4 file could not be decoded (damaged, or no video stream)",
                    param="file",
                ) from None
            report["watermark_checked"] = True
            report["watermark_found"] = detection.found
            report["watermark_confidence"] = round(detection.confidence, 3)
            if detection.payload is not None:
                report["watermark_id"] = detection.payload.hex()
                if manifest_wm is not None:
                    report["watermark_matches_manifest"] = manifest_wm == detection.payload.hex()
    report["notes"] = tuple(notes)
    return VerificationReport(**report)


__all__ = ["ManifestState", "VerificationReport", "verify_file"]
