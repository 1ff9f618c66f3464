"""Shared ids, enums and small value types used by every layer."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import NewType

JobId = NewType("JobId", str)
ObjectId = NewType("ObjectId", str)
OwnerId = NewType("OwnerId", str)


LOCAL_OWNER = "local"
"""Owner of jobs made on this machine's CLI and, while no API key exists, the local API."""

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware UTC. Injected so tests can move time."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_job_id() -> JobId:
    """A random, unguessable job id (``job_`` + 128 bits in lower-case base32), safe to show."""
    return JobId("job_" + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower())


def new_character_id() -> str:
    """A random, unguessable character id (``char_`` + 128 bits in base32), as OpenAI's are."""
    return "char_" + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def new_object_id() -> ObjectId:
    """A random vault object id (128 bits, hex)."""
    return ObjectId(secrets.token_hex(16))


class JobStatus(StrEnum):
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.EXPIRED}
)


class Task(StrEnum):
    TEXT_TO_VIDEO = "text_to_video"
    IMAGE_TO_VIDEO = "image_to_video"
    DANCE = "dance"


class DataClass(StrEnum):
    """Every kind of data the service touches (DESIGN.md, "Data classes")."""

    PROMPT = "prompt"
    UPLOAD = "upload"
    OUTPUT = "output"
    JOB_METADATA = "job_metadata"
    USAGE_EVENT = "usage_event"
    CONTACT = "contact"
    ACCOUNT = "account"
    BILLING_STATUS = "billing_status"
    CONSENT_RECORD = "consent_record"
    DATA_SUBJECT_REQUEST = "data_subject_request"
    AUDIT_ENTRY = "audit_entry"
    ABUSE_REPORT = "abuse_report"
    CHARACTER = "character"


class Purpose(StrEnum):
    """Why a data class is processed; each purpose has a GDPR legal basis in the policy."""

    SERVICE_DELIVERY = "service_delivery"
    TROUBLESHOOTING = "troubleshooting"
    SECURITY = "security"
    ANALYTICS = "analytics"
    MARKETING = "marketing"
    BILLING = "billing"
    LEGAL_COMPLIANCE = "legal_compliance"
    THIRD_PARTY_PROCESSING = "third_party_processing"


class LegalBasis(StrEnum):
    """GDPR article 6(1) bases."""

    CONSENT = "consent"  # 6(1)(a)
    CONTRACT = "contract"  # 6(1)(b)
    LEGAL_OBLIGATION = "legal_obligation"  # 6(1)(c)
    VITAL_INTERESTS = "vital_interests"  # 6(1)(d)
    PUBLIC_TASK = "public_task"  # 6(1)(e)
    LEGITIMATE_INTERESTS = "legitimate_interests"  # 6(1)(f)


class Right(StrEnum):
    """Data-subject rights (GDPR arts. 15-22)."""

    ACCESS = "access"
    RECTIFY = "rectify"
    ERASE = "erase"
    RESTRICT = "restrict"
    OBJECT = "object"
    PORTABILITY = "portability"
    WITHDRAW_CONSENT = "withdraw_consent"


class StorageLocation(StrEnum):
    """Where a data class may be kept."""

    MEMORY = "memory"  # never written anywhere durable
    SCRATCH = "scratch"  # a job's scratch directory, removed when the job ends
    VAULT = "vault"  # encrypted blob store
    DATABASE = "database"
    BROWSER = "browser"  # the user's own browser (localStorage), never the server


__all__ = [
    "TERMINAL_STATUSES",
    "Clock",
    "LOCAL_OWNER",
    "DataClass",
    "JobId",
    "JobStatus",
    "LegalBasis",
    "ObjectId",
    "OwnerId",
    "Purpose",
    "Right",
    "StorageLocation",
    "Task",
    "new_character_id",
    "new_job_id",
    "new_object_id",
    "utc_now",
]
