"""The policy model: what each data class is for, how long it is kept, where, and its rights.

One :class:`Policy` drives both the code (``expires_at`` written on every row and object) and
the human-readable privacy policy (:mod:`reelvault.policy.render`). Models are frozen and
refuse unknown fields, so a typo in a policy file is an error, never a silent default.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)

from reelvault.errors import PolicyError
from reelvault.policy.duration import format_duration, parse_duration
from reelvault.types import DataClass, LegalBasis, Purpose, Right, StorageLocation

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PathPart = str | int

#: Keys that :meth:`Policy.to_public_dict` adds and :meth:`Policy.from_public_dict` removes.
DERIVED_TOP_LEVEL_KEYS = ("version_hash",)
DERIVED_RULE_KEYS = ("retention_text",)

_RETENTION_FORMS = (
    "0 (not kept after the job), an ISO 8601 duration such as P30D, "
    "until_deleted, or {until_resolved_plus: P30D}"
)


class RuleViolation(ValueError):  # noqa: N818 - a ValueError so pydantic reports it with a loc
    """A policy that is well formed but breaks a privacy rule.

    ``path`` is relative to where pydantic reports the error, so a loader can point at the
    exact field (and line) that is wrong.
    """

    def __init__(self, path: tuple[PathPart, ...], reason: str) -> None:
        dotted = ".".join(str(part) for part in path)
        super().__init__(f"{dotted}: {reason}" if dotted else reason)
        self.path = path
        self.reason = reason


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetentionKind(StrEnum):
    JOB = "job"  # not kept beyond the job that uses it
    DURATION = "duration"  # kept for a fixed period after it is written
    UNTIL_DELETED = "until_deleted"  # kept until the user deletes it (or their account)
    UNTIL_RESOLVED = "until_resolved"  # a request: kept until resolved, plus a grace period


class Retention(_Frozen):
    """How long a data class is kept.

    In a policy file it is written as one of: ``0`` (or ``"0"``), an ISO 8601 duration
    (``P30D``, ``PT1H``, ``P12M``), ``until_deleted``, or ``{until_resolved_plus: P30D}``.
    It serialises back to the same form. ``period`` holds the ISO 8601 text as written.
    """

    kind: RetentionKind
    period: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_spec(cls, data: Any) -> Any:
        if isinstance(data, Retention):
            return data
        if isinstance(data, bool):
            raise ValueError(f"retention must be {_RETENTION_FORMS}, not {data!r}")
        if isinstance(data, int):
            if data != 0:
                raise ValueError(f"retention must be {_RETENTION_FORMS}, not {data!r}")
            return {"kind": RetentionKind.JOB}
        if isinstance(data, str):
            if data == "0":
                return {"kind": RetentionKind.JOB}
            if data == "until_deleted":
                return {"kind": RetentionKind.UNTIL_DELETED}
            if data.startswith("P"):
                parse_duration(data)
                return {"kind": RetentionKind.DURATION, "period": data}
            raise ValueError(f"retention must be {_RETENTION_FORMS}, not {data!r}")
        if isinstance(data, Mapping):
            if set(data) == {"until_resolved_plus"}:
                grace = data["until_resolved_plus"]
                if not isinstance(grace, str):
                    raise ValueError(f"until_resolved_plus must be an ISO 8601 duration: {grace!r}")
                parse_duration(grace)
                return {"kind": RetentionKind.UNTIL_RESOLVED, "period": grace}
            if "kind" in data:
                return data
        raise ValueError(f"retention must be {_RETENTION_FORMS}")

    @model_validator(mode="after")
    def _consistent(self) -> Retention:
        timed = self.kind in (RetentionKind.DURATION, RetentionKind.UNTIL_RESOLVED)
        if timed and self.period is None:
            raise ValueError(f"retention kind {self.kind} needs a period")
        if not timed and self.period is not None:
            raise ValueError(f"retention kind {self.kind} takes no period")
        if self.period is not None:
            parse_duration(self.period)
        return self

    @model_serializer(mode="plain")
    def _to_spec(self) -> int | str | dict[str, str]:
        if self.kind is RetentionKind.JOB:
            return 0
        if self.kind is RetentionKind.UNTIL_DELETED:
            return "until_deleted"
        assert self.period is not None
        if self.kind is RetentionKind.UNTIL_RESOLVED:
            return {"until_resolved_plus": self.period}
        return self.period

    @classmethod
    def parse(cls, spec: object) -> Retention:
        """Build from the policy-file form (``0``, ``"P30D"``, ``"until_deleted"``...)."""
        return cls.model_validate(spec)

    @functools.cached_property
    def duration(self) -> timedelta | None:
        """The fixed period (``duration``) or the grace after resolution (``until_resolved``).

        Cached (the model is frozen): every new job and object asks for its expiry.
        """
        if self.period is None:
            return None
        return parse_duration(self.period).to_timedelta()

    def expires_at(self, now: datetime) -> datetime | None:
        """When something written at ``now`` must be gone; ``None`` when no date is fixed yet.

        ``job`` data expires at ``now``: it may live only while its job runs, and the sweeper
        removes whatever a crashed job left behind. ``until_resolved`` data gets its date
        when the request is resolved (resolution time + :attr:`duration`).
        """
        if self.kind is RetentionKind.JOB:
            return now
        if self.kind is RetentionKind.DURATION:
            assert self.duration is not None
            return now + self.duration
        return None

    def keeps_beyond_job(self) -> bool:
        if self.kind is RetentionKind.JOB:
            return False
        if self.kind is RetentionKind.DURATION:
            return self.duration != timedelta(0)
        return True

    def describe(self) -> str:
        """Plain English for people: ``"30 days"``, ``"until you delete it"``..."""
        if self.kind is RetentionKind.JOB:
            return "not kept after the job ends"
        if self.kind is RetentionKind.UNTIL_DELETED:
            return "until you delete it"
        assert self.period is not None
        period = parse_duration(self.period)
        if self.kind is RetentionKind.UNTIL_RESOLVED:
            return f"until your request is resolved, plus {period.describe()}"
        if period.to_timedelta() == timedelta(0):
            return "deleted immediately"
        return period.describe()


class PurposeRule(_Frozen):
    """One reason a data class is processed, with its GDPR legal basis."""

    purpose: Purpose
    legal_basis: LegalBasis
    description: Text


class DataClassRule(_Frozen):
    """Everything the policy says about one data class."""

    description: Text
    purposes: tuple[PurposeRule, ...] = Field(min_length=1)
    retention: Retention
    storage: tuple[StorageLocation, ...] = Field(min_length=1)
    rights: tuple[Right, ...] = ()
    encrypted: bool

    @model_validator(mode="after")
    def _coherent(self) -> DataClassRule:
        for field in ("storage", "rights"):
            values: tuple[StrEnum, ...] = getattr(self, field)
            for index, value in enumerate(values):
                if value in values[:index]:
                    raise RuleViolation((field, index), f"{value} is listed twice")
        seen: set[Purpose] = set()
        for index, rule in enumerate(self.purposes):
            if rule.purpose in seen:
                raise RuleViolation(("purposes", index), f"{rule.purpose} is listed twice")
            seen.add(rule.purpose)
            if rule.legal_basis is LegalBasis.CONSENT and Right.WITHDRAW_CONSENT not in self.rights:
                raise RuleViolation(
                    ("rights",),
                    f"purpose {rule.purpose} rests on consent, so rights must include "
                    "withdraw_consent",
                )
        if StorageLocation.VAULT in self.storage and not self.encrypted:
            raise RuleViolation(("encrypted",), "data kept in the vault is always encrypted")
        transient = {StorageLocation.MEMORY, StorageLocation.SCRATCH}
        if set(self.storage) <= transient and self.retention.keeps_beyond_job():
            raise RuleViolation(
                ("retention",),
                "memory and scratch space do not outlive the job; "
                "add a durable storage location or use retention 0",
            )
        return self


class Controller(_Frozen):
    """Who runs the deployment and answers privacy requests (filled in by the operator)."""

    name: Text
    contact: Text  # an e-mail address or a URL for privacy requests
    website: Text | None = None

    @property
    def is_placeholder(self) -> bool:
        """True while the built-in ``[...]`` placeholders have not been replaced."""
        return any(value.startswith("[") for value in (self.name, self.contact, self.website or ""))


class ChangelogEntry(_Frozen):
    date: date
    summary: Text


class PolicyOptions(_Frozen):
    """Switches shared by every profile (DESIGN.md: dance and third-party rules)."""

    #: Dance jobs: uploads may be kept this long after the job for troubleshooting (None: not).
    dance_uploads_troubleshooting_window: timedelta | None = None
    #: Nothing is sent to a third-party AI provider without the user's explicit opt-in.
    third_party_providers_require_opt_in: bool = True
    #: Users may opt out of (aggregate) usage analytics.
    analytics_opt_out: bool = True
    #: Marketing e-mail only with opt-in consent, with an unsubscribe link in each message.
    marketing_opt_in: bool = True
    #: Days within which a data-subject request is answered.
    request_response_days: int = Field(default=30, ge=1, le=90)
    #: Aggregates covering fewer than this many people are suppressed (k-anonymity).
    min_aggregate_count: int = Field(default=10, ge=2)
    #: How long a pseudonymous owner (session or API key holder) stays once nothing needs
    #: it any more (no job, no live session or key, no open request, no notify-me signup):
    #: then it goes with its privacy flags, consent decisions, revoked keys and links.
    idle_owner_grace: timedelta = timedelta(days=1)

    @field_validator("dance_uploads_troubleshooting_window", "idle_owner_grace", mode="before")
    @classmethod
    def _parse_window(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_duration(value).to_timedelta()
        if value is not None and not isinstance(value, timedelta):
            raise ValueError("must be an ISO 8601 duration such as P7D")
        return value

    @field_validator("idle_owner_grace")
    @classmethod
    def _grace_is_bounded(cls, value: timedelta) -> timedelta:
        # Zero would delete a key holder's pseudonym between two of their requests; more
        # than a year would make "deleted when no longer needed" an empty promise.
        if not timedelta(hours=1) <= value <= timedelta(days=365):
            raise ValueError("must be between PT1H and P1Y")
        return value

    @field_serializer("dance_uploads_troubleshooting_window")
    def _format_window(self, value: timedelta | None) -> str | None:
        return None if value is None else format_duration(value)

    @field_serializer("idle_owner_grace")
    def _format_grace(self, value: timedelta) -> str:
        return format_duration(value)


_NO_CHARACTERS = DataClassRule(
    description="A person's appearance saved under a name for later videos. This service "
    "keeps no characters, so a character cannot be created here.",
    purposes=(
        PurposeRule(
            purpose=Purpose.SERVICE_DELIVERY,
            legal_basis=LegalBasis.CONSENT,
            description="Put the person in the videos you ask for by the character's name.",
        ),
    ),
    retention=Retention.parse(0),
    storage=(StorageLocation.DATABASE, StorageLocation.VAULT),
    rights=(Right.ACCESS, Right.ERASE, Right.PORTABILITY, Right.WITHDRAW_CONSENT),
    encrypted=True,
)


class Policy(_Frozen):
    """A complete privacy policy: every data class, why, how long, where, and rights."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
    title: Text
    version: Text
    effective_date: date
    controller: Controller
    minimum_age: int = Field(default=13, ge=13, le=21)
    #: Purposes only someone of at least ``minimum_age`` can consent to (e-mail news,
    #: sending their inputs to a third-party AI provider): refused to anyone under it.
    adults_only_purposes: tuple[Purpose, ...] = (
        Purpose.MARKETING,
        Purpose.THIRD_PARTY_PROCESSING,
    )
    options: PolicyOptions = PolicyOptions()
    data_classes: dict[DataClass, DataClassRule]
    changelog: tuple[ChangelogEntry, ...] = ()

    @field_validator("data_classes")
    @classmethod
    def _every_class_covered(
        cls, value: dict[DataClass, DataClassRule]
    ) -> dict[DataClass, DataClassRule]:
        if DataClass.CHARACTER not in value:
            # A policy written before characters existed offers none (retention 0):
            # upgrading never starts keeping likeness data nobody's policy mentions.
            value = {**value, DataClass.CHARACTER: _NO_CHARACTERS}
        missing = [member.value for member in DataClass if member not in value]
        if missing:
            raise ValueError("no rule for data class " + ", ".join(missing))
        # Keep the canonical order of DataClass, whatever order the file used.
        return {member: value[member] for member in DataClass}

    @model_validator(mode="after")
    def _consent_where_promised(self) -> Policy:
        needs_consent = set()
        if self.options.marketing_opt_in:
            needs_consent.add(Purpose.MARKETING)
        if self.options.third_party_providers_require_opt_in:
            needs_consent.add(Purpose.THIRD_PARTY_PROCESSING)
        for data_class, rule in self.data_classes.items():
            for index, purpose in enumerate(rule.purposes):
                if (
                    purpose.purpose in needs_consent
                    and purpose.legal_basis is not LegalBasis.CONSENT
                ):
                    raise RuleViolation(
                        ("data_classes", data_class.value, "purposes", index, "legal_basis"),
                        f"{purpose.purpose} must rest on consent under this policy's options",
                    )
        return self

    @model_validator(mode="after")
    def _adults_only_rests_on_consent(self) -> Policy:
        # Only a consent can be withheld from someone under age; a purpose resting on
        # another basis (the service itself, security) cannot be "adults only".
        for data_class, rule in self.data_classes.items():
            for index, purpose in enumerate(rule.purposes):
                if (
                    purpose.purpose in self.adults_only_purposes
                    and purpose.legal_basis is not LegalBasis.CONSENT
                ):
                    raise RuleViolation(
                        ("data_classes", data_class.value, "purposes", index, "legal_basis"),
                        f"{purpose.purpose} is in adults_only_purposes, so it must rest on consent",
                    )
        return self

    @model_validator(mode="after")
    def _abuse_review_is_bounded(self) -> Policy:
        # A report may keep a video past its retention: only for a fixed window, never
        # "until deleted" or until someone resolves it.
        retention = self.data_classes[DataClass.ABUSE_REPORT].retention
        if retention.kind is not RetentionKind.DURATION or not retention.keeps_beyond_job():
            raise RuleViolation(
                ("data_classes", DataClass.ABUSE_REPORT.value, "retention"),
                "the abuse-review window must be a fixed period such as P30D",
            )
        return self

    @property
    def abuse_review_window(self) -> timedelta:
        """How long a report may keep the video it names (``abuse_report`` retention)."""
        window = self.data_classes[DataClass.ABUSE_REPORT].retention.duration
        assert window is not None  # a fixed period (checked above)
        return window

    @property
    def keeps_characters(self) -> bool:
        """Whether characters (saved likenesses) can be created under this policy."""
        return self.keeps_beyond_job(DataClass.CHARACTER)

    def rule(self, dc: DataClass) -> DataClassRule:
        return self.data_classes[dc]

    def expires_at(self, dc: DataClass, *, now: datetime) -> datetime | None:
        """The ``expires_at`` to store with data of class ``dc`` written at ``now``."""
        return self.data_classes[dc].retention.expires_at(now)

    def keeps_beyond_job(self, dc: DataClass) -> bool:
        return self.data_classes[dc].retention.keeps_beyond_job()

    def upload_expires_at(self, *, job_ended: datetime, dance: bool) -> datetime | None:
        """When an upload must be gone, its job having ended at ``job_ended``.

        The policy counts upload retention from the end of processing ("kept for the job
        plus a troubleshooting window"), not from the upload. A dance job's uploads (the
        portrait and the reference video) are also bound by
        ``options.dance_uploads_troubleshooting_window``, the period the policy page shows
        for them: whichever of the two ends first applies.
        """
        expiry = self.expires_at(DataClass.UPLOAD, now=job_ended)
        window = self.options.dance_uploads_troubleshooting_window
        if not dance or window is None:
            return expiry
        windowed = job_ended + window
        return windowed if expiry is None else min(expiry, windowed)

    def canonical_json(self) -> str:
        """Stable JSON of the policy's substance (sorted keys, no whitespace)."""
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )

    @functools.cached_property
    def version_hash(self) -> str:
        """First 16 hex digits of the SHA-256 of :meth:`canonical_json`.

        Cached: the model is frozen, and every job stamps it (job creation is hot).
        """
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()[:16]

    def to_public_dict(self) -> dict[str, Any]:
        """JSON-able form for APIs and the JSON rendering, with derived fields added."""
        data: dict[str, Any] = self.model_dump(mode="json")
        for dc, rule in self.data_classes.items():
            data["data_classes"][dc.value]["retention_text"] = rule.retention.describe()
        data["version_hash"] = self.version_hash
        return data

    @classmethod
    def from_public_dict(cls, data: Mapping[str, Any]) -> Policy:
        """Rebuild a policy from :meth:`to_public_dict` output, checking its version hash."""
        values = {key: value for key, value in data.items() if key not in DERIVED_TOP_LEVEL_KEYS}
        classes = values.get("data_classes")
        if isinstance(classes, Mapping):
            values["data_classes"] = {
                name: (
                    {k: v for k, v in rule.items() if k not in DERIVED_RULE_KEYS}
                    if isinstance(rule, Mapping)
                    else rule
                )
                for name, rule in classes.items()
            }
        policy = cls.model_validate(values)
        claimed = data.get("version_hash")
        if claimed is not None and claimed != policy.version_hash:
            raise PolicyError(
                f"policy version_hash {claimed!r} does not match its content "
                f"({policy.version_hash})"
            )
        return policy


__all__ = [
    "ChangelogEntry",
    "Controller",
    "DataClassRule",
    "Policy",
    "PolicyOptions",
    "PurposeRule",
    "Retention",
    "RetentionKind",
    "RuleViolation",
]
