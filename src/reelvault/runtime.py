"""Everything a process needs to run jobs, built once from settings and passed down.

:class:`Runtime` holds the settings, policy, vault, database, engine registry and clock,
and the :class:`JobHooks` through which the layers above the jobs layer (privacy) take
part in every job: the jobs layer calls these typed seams and never imports privacy.
:func:`reelvault.app.compose.open_runtime` is the composition root that fills them.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from reelvault.config import Settings
from reelvault.db.session import make_db_engine, make_session_factory, migrate
from reelvault.db.vault_keys import DatabaseKeyRows, writes_through
from reelvault.engines.registry import EngineRegistry, load_registry
from reelvault.errors import StorageError
from reelvault.metrics import JobMetrics
from reelvault.moderation import (
    Decision,
    ModerationPipeline,
    ModeratorRegistry,
    check_adult_content,
)
from reelvault.policy import Policy, load_policy
from reelvault.private_files import ensure_private_dir
from reelvault.types import Clock, utc_now
from reelvault.vault import Vault, keyring_from_settings
from reelvault.vault.keystore import DocumentKeyStore
from reelvault.vault.stores.s3 import S3BlobStore


def ensure_scratch_root(settings: Settings) -> Path:
    """Create the scratch root, refusing a default one another user could reach or redirect.

    The default root lies in a folder every user may write to (``/dev/shm`` or the temp
    folder), so its per-user parent could have been made in advance by someone else, or be
    a symlink to their folder: decrypted inputs would then land where they can read them.
    A ``scratch_root`` the operator chose is theirs to place.
    """
    path = settings.scratch_dir
    if settings.scratch_root is not None:
        return ensure_private_dir(path)
    ensure_private_dir(path.parent)
    ensure_private_dir(path)
    me = os.getuid() if hasattr(os, "getuid") else None  # no uids on Windows
    for folder in (path.parent, path):
        info = folder.lstat()
        shared = me is not None and (info.st_uid != me or bool(info.st_mode & 0o077))
        if stat.S_ISLNK(info.st_mode) or shared:
            raise StorageError(
                f"scratch folder {folder} is not private to this user (a symlink, another "
                "owner, or open to others): remove it or set scratch_root"
            )
    return path


def open_vault(settings: Settings, db: Engine, turns: threading.RLock | None = None) -> Vault:
    """The vault ``settings`` ask for: local files by default, or blobs in an S3 bucket
    with their data keys in the database (``db``), which every machine shares.

    ``turns``: SQLite's writer lock of this process (see :attr:`Runtime._sqlite_turns`).
    """
    if not settings.blob_store:
        return Vault.from_settings(settings)
    return Vault(
        blobs=S3BlobStore.from_settings(settings),
        keys=DocumentKeyStore(DatabaseKeyRows(db, (lambda: turns) if turns else None)),
        keyring=keyring_from_settings(settings),
        segment_size=settings.vault_segment_size,
    )


class JobGate(Protocol):
    """What the privacy layer decides about jobs, asked by the jobs layer."""

    def restriction_refusals(
        self, runtime: Runtime, owner_ids: Collection[str]
    ) -> Mapping[str, Exception]:
        """``{owner_id: error}`` for the owners who asked for processing to be restricted
        (GDPR art. 18): they get no new jobs."""
        ...

    def provider_consent(self, runtime: Runtime, owner_id: str, provider: str) -> bool:
        """Whether ``owner_id`` opted in to sending a job to ``provider``; raises for an
        owner the policy does not let give that consent (declared under age)."""
        ...

    def redact_retained_prompt(self, text: str) -> str:
        """A prompt as it may be kept beyond its job (e-mails, cards... -> placeholders)."""
        ...

    def affirm_likeness(self, runtime: Runtime, owner_id: str) -> None:
        """Record in the consent ledger that ``owner_id`` affirmed being the person shown
        in their input, or having that person's permission (with the policy's version)."""
        ...

    def count_moderation(
        self, runtime: Runtime, owner_id: str, stage: str, decision: Decision
    ) -> None:
        """Count a flag or block in the anonymous statistics (its categories, no content;
        not for an owner who opted out of analytics)."""
        ...


class JobAdmission(Protocol):
    """A limit on new jobs that must hold at the instant they are stored (the accounts
    layer's jobs-at-once limit of a plan)."""

    def refusals(
        self, runtime: Runtime, connection: Connection, owner_ids: Sequence[str]
    ) -> Sequence[Exception | None]:
        """For each new job of a batch (named by its owner, in order): None to store it,
        or the error that refuses it. Runs first in the transaction that then inserts the
        admitted jobs, so it may lock what it counts until they are committed."""
        ...


class JobEndHook(Protocol):
    """Runs inside the transaction that ends a job (its row is ``job``)."""

    def __call__(self, runtime: Runtime, session: Session, job: Any) -> object: ...


class JobDispatch(Protocol):
    """Tells a message broker about jobs just stored (queue=celery); absent otherwise."""

    def publish(self, jobs: Sequence[tuple[str, str]]) -> int:
        """Send one message per ``(job id, engine)``; returns how many were sent. Never
        raises: a job whose message is lost is sent again by the republish pass."""
        ...

    def waiting(self, engine: str) -> int | None:
        """Messages waiting in the broker for ``engine``; None when it does not answer."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class JobHooks:
    """The seams of the jobs layer, filled by the composition root."""

    gate: JobGate
    end_hooks: tuple[JobEndHook, ...] = ()
    dispatch: JobDispatch | None = None
    admission: JobAdmission | None = None


RuntimeFactory = Callable[[Settings], "Runtime"]
"""Opens a fully wired runtime (the composition root's ``open_runtime``)."""


@dataclass
class Runtime:
    settings: Settings
    policy: Policy
    vault: Vault
    db: Engine
    sessions: sessionmaker[Session]
    registry: EngineRegistry
    hooks: JobHooks
    clock: Clock = field(default=utc_now)
    # Counters and histograms of this runtime's jobs, recorded as they change state.
    metrics: JobMetrics = field(default_factory=JobMetrics, repr=False)
    # The content moderators the settings name (built from them when not given).
    moderation: ModerationPipeline = field(default=None, repr=False)  # type: ignore[assignment]
    # SQLite allows one writer. Threads of this process take turns on this lock instead
    # of colliding inside SQLite, whose busy handler sleeps milliseconds per retry.
    _sqlite_turns: threading.RLock | None = field(default=None, repr=False)
    # Yes/no answers asked of the database on every request that may be a moment stale
    # (see ``accounts.keys.keys_have_existed``): name -> (time.monotonic() when asked, answer).
    _recent_answers: dict[str, tuple[float, bool]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_adult_content(self.settings, self.policy)
        if self.moderation is None:
            self.moderation = ModerationPipeline(self.settings)
        if self._sqlite_turns is None and self.db.url.get_backend_name() == "sqlite":
            self._sqlite_turns = threading.RLock()

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        hooks: JobHooks,
        clock: Clock = utc_now,
        registry: EngineRegistry | None = None,
        moderators: ModeratorRegistry | None = None,
        run_migrations: bool = True,
    ) -> Runtime:
        ensure_private_dir(settings.data_dir)
        ensure_scratch_root(settings)
        policy = load_policy(settings.policy)
        # Before anything is opened: settings that need a stricter policy are refused, and
        # a moderator the settings name must be installed.
        check_adult_content(settings, policy)
        moderation = ModerationPipeline(settings, moderators)
        db = make_db_engine(
            settings.resolved_database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        turns = threading.RLock() if db.url.get_backend_name() == "sqlite" else None
        vault = open_vault(settings, db, turns)
        if run_migrations:
            migrate(db)
        return cls(
            settings=settings,
            policy=policy,
            vault=vault,
            db=db,
            _sqlite_turns=turns,
            sessions=make_session_factory(db),
            registry=registry if registry is not None else load_registry(settings),
            hooks=hooks,
            clock=clock,
            moderation=moderation,
        )

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        turns = self._sqlite_turns if self._sqlite_turns is not None else contextlib.nullcontext()
        with turns, self.sessions() as session, session.begin(), writes_through(session):
            yield session

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core connection in a transaction (commit on success), without an ORM session.

        For bulk inserts on hot paths, where setting up a session costs more than the work.
        """
        turns = self._sqlite_turns if self._sqlite_turns is not None else contextlib.nullcontext()
        with turns, self.db.begin() as connection, writes_through(connection):
            yield connection

    def recent_answer(self, name: str, max_age_s: float) -> bool | None:
        """The answer remembered under ``name`` if asked less than ``max_age_s`` ago."""
        remembered = self._recent_answers.get(name)
        if remembered is None or time.monotonic() - remembered[0] >= max_age_s:
            return None
        return remembered[1]

    def remember_answer(self, name: str, answer: bool) -> None:
        self._recent_answers[name] = (time.monotonic(), answer)

    def close(self) -> None:
        if self.hooks.dispatch is not None:
            self.hooks.dispatch.close()
        self.db.dispose()
        # The scratch root lives in memory or the temp folder, not in data_dir: leave no
        # empty folder behind there (jobs remove their own; a busy root stays).
        with contextlib.suppress(OSError):
            self.settings.scratch_dir.rmdir()


__all__ = [
    "JobAdmission",
    "JobDispatch",
    "JobEndHook",
    "JobGate",
    "JobHooks",
    "Runtime",
    "RuntimeFactory",
    "ensure_scratch_root",
    "open_vault",
]
