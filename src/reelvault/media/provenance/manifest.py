"""C2PA content credentials (c2pa-python) on every output video and thumbnail.

The manifest says what a viewer needs to know and nothing about the user: made by
reelvault (name, version), action ``c2pa.created`` with the IPTC digital source type
(``trainedAlgorithmicMedia`` for neural engines, ``algorithmicMedia`` for procedural
ones), the engine and model id and the time. When a user-supplied input was used
(image→video, dance), a ``c2pa.placed`` action names an ingredient that carries only a
generic title and its media type: the input itself, its hash, its file name or any
personal data are never embedded. The prompt is never included.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import c2pa  # type: ignore[import-untyped]

from reelvault import __version__
from reelvault.errors import EngineError, ValidationError

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
SourceType = Literal["trainedAlgorithmicMedia", "algorithmicMedia"]
REELVAULT_ASSERTION = "org.reelvault.generation"
SUPPORTED_IMAGES = ("image/webp", "image/jpeg", "image/png")


@dataclass(frozen=True)
class ProvenanceClaims:
    """What the manifest asserts. No field may hold personal data or the prompt."""

    engine: str
    model: str
    source_type: SourceType
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    input_kinds: tuple[str, ...] = ()
    """Media types of user-supplied inputs (e.g. ``("image/jpeg",)``), content not kept."""
    watermark_id: str | None = None
    """Hex of the invisible watermark's per-video id, linking pixels and manifest."""
    derivation: str | None = None
    """For a video made from an earlier one: ``remix``, ``extension`` or ``edit``. The
    manifest then names the source as an ingredient (not embedded, no id of it) and the
    action: ``c2pa.placed`` of a component for an extension (the source's frames open
    it), else ``c2pa.edited`` of its parent."""


@dataclass(frozen=True)
class Signer:
    """A loaded signing identity: certificate chain (leaf first) and private key, PEM."""

    cert_chain: bytes = field(repr=False)
    private_key: bytes = field(repr=False)
    algorithm: Literal["es256", "es384", "ps256"] = "es256"
    subject: str = ""

    def native(self) -> Any:
        info = c2pa.C2paSignerInfo(self.algorithm, self.cert_chain, self.private_key, None)
        return c2pa.Signer.from_info(info)


def manifest_definition(claims: ProvenanceClaims, mime: str) -> dict[str, Any]:
    when = claims.created.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    agent = {"name": "reelvault", "version": __version__}
    actions: list[dict[str, Any]] = [
        {
            "action": "c2pa.created",
            "digitalSourceType": IPTC + claims.source_type,
            "softwareAgent": agent,
            "when": when,
            "parameters": {"engine": claims.engine, "model": claims.model},
        }
    ]
    ingredients: list[dict[str, Any]] = []
    for index, kind in enumerate(claims.input_kinds):
        instance = f"reelvault:input:{index}"
        ingredients.append(
            {
                "title": f"user-supplied input {index + 1} (not embedded)",
                "format": kind,
                "relationship": "componentOf",
                "instance_id": instance,
            }
        )
        actions.append(
            {
                "action": "c2pa.placed",
                "softwareAgent": agent,
                "when": when,
                "parameters": {"ingredientIds": [instance]},
            }
        )
    if claims.derivation is not None:
        # An extension places the source's frames in it (a component); a remix or an
        # edit is an edited version of its source (its parent).
        extension = claims.derivation == "extension"
        ingredients.append(
            {
                "title": f"the earlier video this {claims.derivation} was made from (not embedded)",
                "format": mime,
                "relationship": "componentOf" if extension else "parentOf",
                "instance_id": "reelvault:source",
            }
        )
        actions.append(
            {
                "action": "c2pa.placed" if extension else "c2pa.edited",
                "softwareAgent": agent,
                "when": when,
                "parameters": {"ingredientIds": ["reelvault:source"]},
            }
        )
    generation: dict[str, Any] = {
        "engine": claims.engine,
        "model": claims.model,
        "created": when,
        "ai_generated": True,
    }
    if claims.watermark_id is not None:
        generation["watermark_id"] = claims.watermark_id
    return {
        "claim_generator_info": [agent],
        "title": "AI-generated video" if mime.startswith("video/") else "AI-generated image",
        "format": mime,
        "ingredients": ingredients,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": actions}},
            {"label": REELVAULT_ASSERTION, "data": generation},
        ],
    }


def _context() -> Any:
    """A c2pa context without the thumbnail the builder would otherwise render and embed
    into each manifest: decoding and re-encoding the image cost about 16 ms a signature
    (measured), and our thumbnails are thumbnails already. Cheap (0.1 ms), so one per
    signature: nothing shared between worker threads."""
    settings = c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    return c2pa.Context(settings=settings)


def _sign_stream(
    source: io.BufferedIOBase | io.BytesIO,
    dest: io.BufferedIOBase | io.BytesIO,
    mime: str,
    claims: ProvenanceClaims,
    signer: Signer,
) -> None:
    try:
        with (
            c2pa.Builder(
                json.dumps(manifest_definition(claims, mime)), context=_context()
            ) as builder,
            signer.native() as native,
        ):
            builder.sign(native, mime, source, dest)
    except c2pa.C2paError as exc:
        # The library's message names a cause (bad certificate, unsupported format), no data.
        raise EngineError(f"signing the content credentials failed: {exc}") from None


def sign_video(src: Path, dst: Path, claims: ProvenanceClaims, signer: Signer) -> None:
    """Write ``src`` (an MP4) to ``dst`` with a signed C2PA manifest embedded.

    ``src`` and ``dst`` may be the same path (the result replaces it atomically)."""
    tmp = dst.with_name(dst.name + ".c2pa.tmp")
    try:
        with src.open("rb") as source, tmp.open("w+b") as dest:
            _sign_stream(source, dest, "video/mp4", claims, signer)
        shutil.move(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def sign_image(data: bytes, mime: str, claims: ProvenanceClaims, signer: Signer) -> bytes:
    """``data`` (WebP, JPEG or PNG bytes) with a signed C2PA manifest embedded."""
    if mime not in SUPPORTED_IMAGES:
        raise ValidationError(f"cannot sign {mime} images (supported: {SUPPORTED_IMAGES})")
    out = io.BytesIO()
    _sign_stream(io.BytesIO(data), out, mime, claims, signer)
    return out.getvalue()


__all__ = [
    "ProvenanceClaims",
    "Signer",
    "SourceType",
    "manifest_definition",
    "sign_image",
    "sign_video",
]
