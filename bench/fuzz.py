"""Coverage-guided fuzzing of the upload parsers with atheris (libFuzzer for Python).

Targets (what an uploaded file reaches, in the order it reaches it):

* ``sniff``  -- :func:`reelvault.media.sniff.sniff`, the type decided from the first bytes;
* ``image``  -- :func:`reelvault.media.validate.load_image` (Pillow: header checks, the
  decompression-bomb guard, decoding, EXIF transpose, mode conversion);
* ``video``  -- :func:`reelvault.media.validate.validate_video` (PyAV/FFmpeg: container
  allow-list, stream limits, probing, first-frame decode);
* ``verify`` -- :func:`reelvault.media.provenance.verify.verify_file` (the C2PA reader of
  ``POST /api/v1/provenance/verify``) and its image decode for the watermark check; the
  detection itself is left out (it costs ~0.2 s an input and parses nothing new).

A finding is any exception other than a :class:`reelvault.errors.ReelvaultError` with a
4xx status (which the API turns into a clear refusal): everything else would be a 500.
libFuzzer also reports inputs that take longer than ``-timeout`` seconds and inputs that
take more memory than ``-rss_limit_mb``.

atheris is not a dependency of reelvault or of its tests. To run::

    pip install atheris                     # a wheel for CPython 3.11/3.12 on Linux x86-64
    python bench/fuzz.py seeds fuzz-corpus  # seed inputs from tests/security/hostile_corpus.py
    python bench/fuzz.py image fuzz-corpus/image -max_total_time=3600 -timeout=30 \\
        -rss_limit_mb=800 -artifact_prefix=fuzz-crashes/

Run from the repository root with ``PYTHONPATH=src:.``. See ``bench/fuzz.md`` for an
hour-long run and what the runs so far found.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

TARGETS = ("sniff", "image", "video", "verify")
_SCRATCH = Path(
    tempfile.mkdtemp(prefix="rv-fuzz-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
)


def write_seeds(root: Path) -> None:
    """One folder of seed files per target, from the hostile-upload corpus."""
    from tests.security.hostile_corpus import build_corpus

    for target in TARGETS:
        (root / target).mkdir(parents=True, exist_ok=True)
    for index, sample in enumerate(build_corpus()):
        if not sample.data or len(sample.data) > 1 << 20:
            continue  # libFuzzer mutates small inputs best; the big ones add little
        name = f"{index:03d}-{sample.name}"
        targets = ["sniff", "verify", "image" if sample.kind == "image" else "video"]
        for target in targets:
            (root / target / name).write_bytes(sample.data)


def _checked(call: Callable[[Path], object]) -> Callable[[bytes], None]:
    from reelvault.errors import ReelvaultError

    path = _SCRATCH / "input"

    def test_one_input(data: bytes) -> None:
        path.write_bytes(data)
        try:
            call(path)
        except ReelvaultError as exc:
            if not 400 <= exc.http_status < 500:
                raise

    return test_one_input


def harness(target: str) -> Callable[[bytes], None]:
    import atheris

    # Coverage feedback comes from Python code: reelvault's and Pillow's format plugins
    # (PyAV and FFmpeg are C: they are fuzzed blind, through their Python-side effects).
    with atheris.instrument_imports(include=["reelvault", "PIL"]):
        from reelvault.media.provenance.verify import _image_frame, verify_file
        from reelvault.media.sniff import SNIFF_BYTES, sniff
        from reelvault.media.validate import load_image, validate_video
        from reelvault.testing import settings_for

    if target == "sniff":

        def sniff_one(data: bytes) -> None:
            found = sniff(data[:SNIFF_BYTES])
            assert found is None or found.kind in ("image", "video")

        return sniff_one
    if target == "image":
        return _checked(load_image)
    if target == "video":
        return _checked(validate_video)
    settings = settings_for(_SCRATCH / "settings")

    def verify_one(path: Path) -> None:
        report = verify_file(path, settings, check_watermark=False)
        if report.media_type != "video/mp4":
            _image_frame(path)  # what the watermark check decodes first

    return _checked(verify_one)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in (*TARGETS, "seeds"):
        print(__doc__)
        print(f"usage: {argv[0]} seeds DIR | {{{','.join(TARGETS)}}} [libFuzzer options] [DIRS]")
        return 2
    if argv[1] == "seeds":
        write_seeds(Path(argv[2] if len(argv) > 2 else "fuzz-corpus"))
        return 0
    try:
        import atheris
    except ModuleNotFoundError:
        print("atheris is not installed: pip install atheris (see bench/fuzz.md)")
        return 2
    test_one_input = harness(argv[1])
    atheris.Setup([argv[0], *argv[2:]], test_one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
