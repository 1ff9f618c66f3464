"""Provenance of every output: signed C2PA content credentials, an invisible watermark,
an optional visible label, and verification of all three."""

from reelvault.media.provenance.keys import init_provenance, watermark_key
from reelvault.media.provenance.label import apply_label, label_text
from reelvault.media.provenance.manifest import (
    ProvenanceClaims,
    Signer,
    sign_image,
    sign_video,
)
from reelvault.media.provenance.signer import load_signer
from reelvault.media.provenance.verify import VerificationReport, verify_file
from reelvault.media.provenance.watermark import (
    Detection,
    Watermarker,
    detect_watermark,
    new_video_id,
)

__all__ = [
    "Detection",
    "ProvenanceClaims",
    "Signer",
    "VerificationReport",
    "Watermarker",
    "apply_label",
    "detect_watermark",
    "init_provenance",
    "label_text",
    "load_signer",
    "new_video_id",
    "sign_image",
    "sign_video",
    "verify_file",
    "watermark_key",
]
