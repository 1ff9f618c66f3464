"""Model management: pull from the Hugging Face Hub, list, remove and verify local models.

Only ``reelvault models pull`` talks to the network. It resolves the catalogue's
revision to a commit, checks the disk has room for the files still missing *before*
downloading anything, downloads only the files the pipeline needs (resuming partial
files), and records what it got in ``reelvault-model.json`` inside the model folder:
that manifest pins the commit and lets ``verify`` check sizes and SHA-256 hashes later.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reelvault.config import Settings
from reelvault.engines.diffusers.catalogue import ModelSpec, catalogue
from reelvault.engines.diffusers.licences import licence_terms, needs_acceptance
from reelvault.errors import EngineError, NotFoundError, StorageError, ValidationError

MANIFEST = "reelvault-model.json"
DISK_MARGIN_BYTES = 512 * 1024 * 1024
"""Room kept free beyond the model itself, so a pull never fills the disk to the brim."""
HUB_TIMEOUT_SECONDS = 30.0
HASH_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int
    sha256: str | None = None
    """Known for files stored in LFS (the weights); None for small text files."""


@dataclass(frozen=True)
class RemoteSnapshot:
    repo: str
    commit: str
    files: tuple[RemoteFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(item.size for item in self.files)


@dataclass(frozen=True)
class InstalledModel:
    id: str
    folder: Path
    bytes: int
    licence: str
    commit: str | None
    spec: ModelSpec | None = field(repr=False)


@dataclass(frozen=True)
class VerifyReport:
    id: str
    checked: int
    hashed: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _hub() -> Any:
    try:
        import huggingface_hub
    except ImportError:
        raise EngineError(
            'pulling models needs the diffusers extra: pip install "reelvault[diffusers]"'
        ) from None
    return huggingface_hub


def _hub_failure(spec: ModelSpec, exc: Exception) -> Exception:
    """One clear line for anything the Hub or the network answered."""
    from huggingface_hub import errors

    repo = spec.repo
    if isinstance(exc, errors.GatedRepoError):
        return EngineError(
            f"{repo} is gated: accept its licence on huggingface.co, then log in with "
            "`hf auth login` and pull again"
        )
    if isinstance(exc, errors.RepositoryNotFoundError):
        return NotFoundError(f"{repo} does not exist on the Hugging Face Hub (or is private)")
    if isinstance(exc, errors.RevisionNotFoundError):
        return NotFoundError(f"{repo} has no revision {spec.revision!r}")
    if isinstance(exc, errors.OfflineModeIsEnabled):
        return EngineError(
            f"cannot pull {spec.id}: Hugging Face offline mode is on (HF_HUB_OFFLINE)"
        )
    return EngineError(
        f"could not reach the Hugging Face Hub to pull {spec.id} ({type(exc).__name__}); "
        "check the network connection (or HF_ENDPOINT) and run the pull again: it resumes"
    )


def remote_snapshot(spec: ModelSpec, *, endpoint: str | None = None) -> RemoteSnapshot:
    """The files of the pinned revision that the pipeline needs, with sizes and hashes."""
    if spec.repo is None:
        raise ValidationError(f"model {spec.id} is a local folder; there is nothing to pull")
    hub = _hub()
    api = hub.HfApi(endpoint=endpoint)
    try:
        info = api.model_info(
            spec.repo, revision=spec.revision, files_metadata=True, timeout=HUB_TIMEOUT_SECONDS
        )
    except Exception as exc:
        raise _hub_failure(spec, exc) from None
    wanted = hub.utils.filter_repo_objects(
        info.siblings or [], allow_patterns=list(spec.allow_patterns), key=lambda s: s.rfilename
    )
    files = tuple(
        RemoteFile(
            path=sibling.rfilename,
            size=int(sibling.size or 0),
            sha256=sibling.lfs.sha256 if sibling.lfs is not None else None,
        )
        for sibling in wanted
    )
    if not files:
        raise EngineError(f"{spec.repo} has no files matching the model's allow_patterns")
    return RemoteSnapshot(repo=spec.repo, commit=str(info.sha or spec.revision), files=files)


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def missing_bytes(folder: Path, files: Iterable[RemoteFile]) -> int:
    """Bytes still to download: files absent or of another size (a partial is redone)."""
    total = 0
    for item in files:
        local = folder / item.path
        if not (local.is_file() and local.stat().st_size == item.size):
            total += item.size
    return total


def check_disk_space(
    folder: Path, files: Iterable[RemoteFile], *, free_bytes: int | None = None
) -> int:
    """Raise :class:`StorageError` unless the disk holding ``folder`` has room; returns need."""
    need = missing_bytes(folder, files)
    free = (
        free_bytes if free_bytes is not None else shutil.disk_usage(_existing_ancestor(folder)).free
    )
    if need + DISK_MARGIN_BYTES > free:
        raise StorageError(
            f"not enough disk space at {_existing_ancestor(folder)}: the model needs "
            f"{need / 1024**3:.1f} GiB more (plus {DISK_MARGIN_BYTES / 1024**3:.1f} GiB "
            f"headroom), {free / 1024**3:.1f} GiB is free; free space or set "
            "REELVAULT_MODELS_DIR to a larger disk"
        )
    return need


def pull(
    spec: ModelSpec,
    settings: Settings,
    *,
    endpoint: str | None = None,
    on_checked: Callable[[RemoteSnapshot, int], None] | None = None,
    accept_licence: bool = False,
) -> InstalledModel:
    """Download a catalogue model into ``<models_dir>/<id>``; resumable; never partial-listed.

    A model under terms other than an open-source licence is pulled only with
    ``accept_licence`` (the operator read them): refused before anything is fetched, and
    recorded in the manifest when accepted. ``on_checked(snapshot, bytes_to_download)`` is
    called after the disk-space check and before the download starts (the CLI prints what
    is about to happen).
    """
    check_licence_accepted(spec, accept_licence)
    snapshot = remote_snapshot(spec, endpoint=endpoint)
    folder = spec.folder(settings)
    need = check_disk_space(folder, snapshot.files)
    if on_checked is not None:
        on_checked(snapshot, need)
    folder.mkdir(parents=True, exist_ok=True)
    hub = _hub()
    try:
        hub.snapshot_download(
            snapshot.repo,
            revision=snapshot.commit,
            local_dir=folder,
            allow_patterns=[item.path for item in snapshot.files],
            endpoint=endpoint,
            max_workers=4,
        )
    except OSError as exc:
        if exc.errno == 28:  # ENOSPC: something else filled the disk meanwhile
            raise StorageError(f"the disk filled up while pulling {spec.id}") from None
        raise _hub_failure(spec, exc) from None
    except Exception as exc:
        raise _hub_failure(spec, exc) from None
    manifest = {
        "id": spec.id,
        "repo": snapshot.repo,
        "revision": snapshot.commit,
        "licence": spec.licence,
        "pulled_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # The terms the operator accepted for this commit (None: open source, nothing to
        # accept); a later pull of a new revision asks again.
        "licence_accepted": spec.licence if needs_acceptance(spec.licence) else None,
        "files": [
            {"path": item.path, "size": item.size, "sha256": item.sha256} for item in snapshot.files
        ],
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return _installed(spec, folder)


def check_licence_accepted(spec: ModelSpec, accepted: bool) -> None:
    """Refuse, naming the terms, to pull a model whose licence the operator has not accepted."""
    if accepted or spec.repo is None or not needs_acceptance(spec.licence):
        return  # (a local folder is not pulled: remote_snapshot says so)
    raise ValidationError(
        f"model {spec.id} comes under the {licence_terms(spec.licence).describe()}. "
        "Read it, then pull again with --accept-licence to accept it",
        param="accept_licence",
    )


def _folder_bytes(folder: Path) -> int:
    return sum(
        path.stat().st_size
        for path in folder.rglob("*")
        if path.is_file() and ".cache" not in path.relative_to(folder).parts
    )


def _manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _installed(spec: ModelSpec, folder: Path) -> InstalledModel:
    manifest = _manifest(folder) or {}
    commit = manifest.get("revision")
    return InstalledModel(
        id=spec.id,
        folder=folder,
        bytes=_folder_bytes(folder),
        licence=spec.licence,
        commit=str(commit) if commit else None,
        spec=spec,
    )


def installed_models(settings: Settings) -> list[InstalledModel]:
    """Catalogue models whose folder holds a pipeline (``model_index.json``)."""
    return [
        _installed(spec, spec.folder(settings))
        for spec in catalogue(settings)
        if (spec.folder(settings) / "model_index.json").is_file()
    ]


def remove(spec: ModelSpec, settings: Settings) -> int:
    """Delete a pulled model's folder; returns the bytes freed. Own folders are refused."""
    if spec.path is not None:
        raise ValidationError(
            f"model {spec.id} is your own folder ({spec.path}); reelvault does not delete it"
        )
    folder = spec.folder(settings)
    if not folder.exists():
        raise NotFoundError(f"model {spec.id} is not installed")
    freed = _folder_bytes(folder)
    shutil.rmtree(folder)
    return freed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(spec: ModelSpec, settings: Settings, *, hashes: bool = True) -> VerifyReport:
    """Check a model folder: files of the manifest present, sizes and hashes as pulled.

    A folder without a manifest (your own) is checked structurally: each component that
    ``model_index.json`` lists has its folder.
    """
    folder = spec.folder(settings)
    problems: list[str] = []
    checked = hashed = 0
    index = folder / "model_index.json"
    if not index.is_file():
        hint = "" if spec.path is not None else f"; run `reelvault models pull {spec.id}`"
        return VerifyReport(spec.id, 0, 0, (f"{folder} has no model_index.json{hint}",))
    manifest = _manifest(folder)
    if manifest is None:
        try:
            components = json.loads(index.read_text("utf-8"))
        except ValueError:
            return VerifyReport(spec.id, 1, 0, ("model_index.json is not valid JSON",))
        for name, value in components.items():
            if name.startswith("_") or not isinstance(value, list) or value[0] is None:
                continue
            checked += 1
            if not (folder / name).is_dir():
                problems.append(f"component {name} is missing")
        return VerifyReport(spec.id, checked, 0, tuple(problems))
    for item in manifest.get("files", []):
        relative = str(item.get("path", ""))
        local = folder / relative
        checked += 1
        if not local.is_file():
            problems.append(f"{relative} is missing")
            continue
        if item.get("size") is not None and local.stat().st_size != int(item["size"]):
            problems.append(f"{relative} has {local.stat().st_size} bytes, expected {item['size']}")
            continue
        if hashes and item.get("sha256"):
            hashed += 1
            if _sha256(local) != item["sha256"]:
                problems.append(f"{relative} does not match its SHA-256")
    return VerifyReport(spec.id, checked, hashed, tuple(problems))


def write_manifest_for_folder(spec: ModelSpec, folder: Path) -> Path:
    """Record a folder's current files (sizes and hashes) as its manifest.

    For a model copied in by hand (an air-gapped machine): ``verify`` then guards it
    like a pulled one.
    """
    files = [
        {
            "path": str(path.relative_to(folder)),
            "size": path.stat().st_size,
            "sha256": _sha256(path),
        }
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and path.name != MANIFEST
        and ".cache" not in path.relative_to(folder).parts
    ]
    manifest = {
        "id": spec.id,
        "repo": spec.repo,
        "revision": None,
        "licence": spec.licence,
        "files": files,
    }
    target = folder / MANIFEST
    target.write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return target


__all__ = [
    "DISK_MARGIN_BYTES",
    "MANIFEST",
    "InstalledModel",
    "RemoteFile",
    "RemoteSnapshot",
    "VerifyReport",
    "check_disk_space",
    "check_licence_accepted",
    "installed_models",
    "missing_bytes",
    "pull",
    "remote_snapshot",
    "remove",
    "verify",
    "write_manifest_for_folder",
]
