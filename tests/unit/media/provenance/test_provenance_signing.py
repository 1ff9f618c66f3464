"""Content credentials: init, sign, verify; tampering and stripping are reported."""

from __future__ import annotations

import json
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from typer.testing import CliRunner

from reelvault.cli.provenance import app
from reelvault.cli.state import CliState
from reelvault.config import Settings, load_settings
from reelvault.errors import ConfigError, ConflictError
from reelvault.media.provenance import (
    ProvenanceClaims,
    Signer,
    Watermarker,
    init_provenance,
    load_signer,
    new_video_id,
    sign_image,
    sign_video,
    verify_file,
    watermark_key,
)
from reelvault.media.provenance import keys as keys_module
from reelvault.media.provenance.keys import DEV_CA_NAME
from reelvault.media.thumbnail import make_thumbnail

from .clips import DANCE, read_frames, remux, write


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("data"))
    init_provenance(settings)
    return settings


@pytest.fixture(scope="module")
def signer(settings: Settings) -> Signer:
    loaded = load_signer(settings)
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module")
def signed(settings: Settings, signer: Signer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = watermark_key(settings)
    assert key is not None
    video_id = new_video_id()
    marker = Watermarker(key)
    frames = [marker.embed(f, i, video_id) for i, f in enumerate(read_frames(DANCE, 60))]
    path = write(frames, tmp_path_factory.mktemp("out") / "video.mp4", fps=30)
    claims = ProvenanceClaims(
        engine="puppet",
        model="puppet-rig-v1",
        source_type="algorithmicMedia",
        input_kinds=("image/jpeg", "video/mp4"),
        watermark_id=video_id.hex(),
    )
    sign_video(path, path, claims, signer)
    return path


def test_init_writes_private_files_marked_as_development(settings: Settings) -> None:
    directory = settings.resolved_provenance_dir
    for name in ("dev-ca.pem", "dev-ca.key", "signing.pem", "signing.key", "watermark.key"):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600, name
    chain = x509.load_pem_x509_certificates((directory / "signing.pem").read_bytes())
    assert DEV_CA_NAME in chain[1].subject.rfc4514_string()
    assert DEV_CA_NAME in chain[0].issuer.rfc4514_string()


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    init_provenance(settings)
    key_before = (settings.resolved_provenance_dir / "watermark.key").read_bytes()
    cert_before = (settings.resolved_provenance_dir / "signing.pem").read_bytes()
    with pytest.raises(ConflictError):
        init_provenance(settings)
    init_provenance(settings, force=True)
    assert (settings.resolved_provenance_dir / "signing.pem").read_bytes() != cert_before
    # The watermark key survives --force: earlier videos stay detectable.
    assert (settings.resolved_provenance_dir / "watermark.key").read_bytes() == key_before


def test_a_fresh_install_creates_the_development_certificate_on_first_use(
    tmp_path: Path,
) -> None:
    signer = load_signer(load_settings(data_dir=tmp_path))
    assert signer is not None
    assert "not trusted" in signer.subject and "development" in signer.subject
    chain = (tmp_path / "provenance" / "signing.pem").read_bytes()
    assert x509.load_pem_x509_certificates(chain)[1].subject.rfc4514_string().endswith(DEV_CA_NAME)
    # Used again, not made again.
    assert load_signer(load_settings(data_dir=tmp_path)) == signer
    assert (tmp_path / "provenance" / "signing.pem").read_bytes() == chain


def test_workers_starting_together_share_one_development_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(data_dir=tmp_path)
    write = keys_module._write_private

    def slow_write(path: Path, data: bytes, *, force: bool) -> None:
        write(path, data, force=force)
        time.sleep(0.02)  # the others look while the pair is half written

    monkeypatch.setattr(keys_module, "_write_private", slow_write)
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Workers arrive one after another, some while the first is writing the pair.
        signers = list(pool.map(lambda n: time.sleep(0.01 * n) or load_signer(settings), range(16)))
    assert all(signer == signers[0] for signer in signers)
    key = (tmp_path / "provenance" / "signing.key").read_bytes()
    chain = (tmp_path / "provenance" / "signing.pem").read_bytes()
    public = x509.load_pem_x509_certificates(chain)[0].public_key()
    assert public == load_pem_private_key(key, password=None).public_key()  # one pair


def test_without_the_development_certificate_outputs_are_only_watermarked(
    tmp_path: Path,
) -> None:
    assert load_signer(load_settings(data_dir=tmp_path, provenance_dev_certificate=False)) is None
    assert not (tmp_path / "provenance" / "signing.pem").exists()


def test_half_an_operator_certificate_is_an_error_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "provenance").mkdir()
    (tmp_path / "provenance" / "signing.pem").write_bytes(b"the operator's chain")
    with pytest.raises(ConfigError, match=r"signing\.key is missing"):
        load_signer(load_settings(data_dir=tmp_path))
    assert (tmp_path / "provenance" / "signing.pem").read_bytes() == b"the operator's chain"


def test_watermark_secret_setting_replaces_the_key_file(tmp_path: Path) -> None:
    a = watermark_key(load_settings(data_dir=tmp_path, watermark_secret="correct horse"))
    b = watermark_key(load_settings(data_dir=tmp_path, watermark_secret="battery staple"))
    assert a is not None and b is not None and a != b and len(a) == 32
    assert not (tmp_path / "provenance" / "watermark.key").exists()


def test_signed_video_verifies_with_its_claims(signed: Path, settings: Settings) -> None:
    report = verify_file(signed, settings)
    assert report.manifest == "valid"
    assert not report.trusted  # a development CA is in no trust list
    assert report.digital_source_type == "algorithmicMedia"
    assert report.engine == "puppet" and report.model == "puppet-rig-v1"
    assert report.claim_generator is not None and report.claim_generator.startswith("reelvault")
    assert report.actions == ("c2pa.created", "c2pa.placed", "c2pa.placed")
    assert report.ingredients == 2
    assert report.signer is not None and "development" in report.signer
    assert report.watermark_found and report.ai_generated


def test_one_changed_byte_in_the_media_is_reported_as_tampered(
    signed: Path, settings: Settings, tmp_path: Path
) -> None:
    data = bytearray(signed.read_bytes())
    mdat = data.find(b"mdat")
    data[mdat + 5000] ^= 0x01
    tampered = tmp_path / "tampered.mp4"
    tampered.write_bytes(bytes(data))
    report = verify_file(tampered, settings, check_watermark=False)
    assert report.manifest == "invalid"
    assert any("mismatch" in failure for failure in report.failures)


def test_stripped_manifest_still_shows_the_watermark(
    signed: Path, settings: Settings, tmp_path: Path
) -> None:
    stripped = remux(signed, tmp_path / "stripped.mp4")
    report = verify_file(stripped, settings)
    assert report.manifest == "absent"
    assert report.watermark_found and report.ai_generated


def test_neural_engine_claims_trained_algorithmic_media(
    settings: Settings, signer: Signer, tmp_path: Path
) -> None:
    frame = read_frames(DANCE, 1)[0]
    claims = ProvenanceClaims(
        engine="diffusers", model="wan2.1-t2v-1.3b", source_type="trainedAlgorithmicMedia"
    )
    webp = sign_image(make_thumbnail(frame), "image/webp", claims, signer)
    path = tmp_path / "thumb.webp"
    path.write_bytes(webp)
    report = verify_file(path, settings, check_watermark=False)
    assert report.manifest == "valid"
    assert report.digital_source_type == "trainedAlgorithmicMedia"
    assert report.actions == ("c2pa.created",) and report.ingredients == 0


def test_cli_init_and_verify_json(tmp_path: Path, signed: Path) -> None:
    runner = CliRunner()
    state = CliState(data_dir=tmp_path)
    result = runner.invoke(app, ["init"], obj=state)
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["init"], obj=CliState(data_dir=tmp_path))
    assert again.exit_code != 0
    result = runner.invoke(app, ["verify", str(signed), "--json"], obj=CliState(data_dir=tmp_path))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["manifest"] == "valid" and report["ai_generated"] is True
    human = runner.invoke(app, ["verify", str(signed)], obj=CliState(data_dir=tmp_path))
    assert "manifest:      valid" in human.output


def test_unsigned_unmarked_image_is_reported_plainly(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "plain.webp"
    path.write_bytes(make_thumbnail(np.full((90, 160, 3), 90, np.uint8)))
    report = verify_file(path, settings)
    assert report.manifest == "absent" and not report.watermark_found and not report.ai_generated


@pytest.mark.parametrize(
    ("derivation", "action"), [("remix", "c2pa.edited"), ("extension", "c2pa.placed")]
)
def test_a_derived_video_names_its_parent(
    derivation: str, action: str, settings: Settings, signer: Signer, tmp_path: Path
) -> None:
    path = write(read_frames(DANCE, 10), tmp_path / "derived.mp4", fps=30)
    claims = ProvenanceClaims(
        engine="procedural",
        model="procedural",
        source_type="algorithmicMedia",
        derivation=derivation,
    )
    sign_video(path, path, claims, signer)
    report = verify_file(path, settings)
    assert report.manifest == "valid", report.failures
    assert report.actions == ("c2pa.created", action)
    assert report.ingredients == 1
