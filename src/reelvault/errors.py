"""One error tree for the whole service.

Every error a user can meet is a ``ReelvaultError`` with a stable ``code`` (used in
API error bodies and CLI messages) and the ``http_status`` the API answers with.
Messages never contain personal data (no prompt text, no e-mail, no file contents).

::

    ReelvaultError
    ├── ConfigError                 invalid settings, bad key file          (500)
    ├── PolicyError                 invalid policy file                     (500)
    ├── VaultError                                                          (500)
    │   ├── IntegrityError          tampered, truncated, reordered, wrong key, moved object
    │   ├── KeyNotFoundError        the object's data key is gone (shredded)     (410)
    │   └── ObjectNotFoundError     no such object in the blob store             (404)
    ├── StorageError                disk full, unwritable path              (507)
    ├── BadRequestError             a request that cannot be carried out as sent (400)
    │   ├── ContentBlockedError     refused by content moderation (a category, never the words)
    │   └── LikenessAffirmationRequiredError  a face in the input, no affirmation (400)
    ├── ValidationError             bad input from a client                 (422)
    │   ├── UnsupportedMediaError   wrong file type (by content)            (415)
    │   └── PayloadTooLargeError    over a size limit                       (413)
    ├── UnauthorizedError           missing or wrong API key                (401)
    ├── RateLimitedError            too many requests; retry_after seconds  (429)
    ├── ForbiddenError              not allowed (e.g. under the minimum age) (403)
    │   ├── ConsentRequiredError    a third-party provider needs opt-in     (403)
    │   ├── InsufficientScopeError  the API key lacks the route's scope     (403)
    │   └── AgeRequiredError        answer the age question first           (403)
    ├── NotFoundError               unknown job / engine                    (404)
    ├── ConflictError               wrong state for the operation           (409)
    ├── GoneError                   retention ended, content shredded       (410)
    ├── EngineError                 an engine failed to produce a video     (500)
    │   └── EngineNotFoundError     no engine by that name                  (400)
    ├── JobCancelledError           the job was cancelled while running     (409)
    └── LeaseLostError              a worker's claim on a job ran out        (409)
"""

from __future__ import annotations


class ReelvaultError(Exception):
    """Root of every error reelvault raises on purpose."""

    code: str = "reelvault_error"
    http_status: int = 500

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ConfigError(ReelvaultError):
    code = "invalid_config"
    http_status = 500


class PolicyError(ReelvaultError):
    code = "invalid_policy"
    http_status = 500


class VaultError(ReelvaultError):
    code = "vault_error"
    http_status = 500


class IntegrityError(VaultError):
    """Ciphertext failed authentication: tampering, truncation, reordering, wrong key."""

    code = "integrity_error"


class KeyNotFoundError(VaultError):
    code = "key_not_found"
    http_status = 410


class ObjectNotFoundError(VaultError):
    code = "object_not_found"
    http_status = 404


class StorageError(ReelvaultError):
    code = "storage_error"
    http_status = 507


class BadRequestError(ReelvaultError):
    """E.g. an OpenID Connect sign-in coming back with an unknown, used or expired state."""

    code = "bad_request"
    http_status = 400


class ContentBlockedError(BadRequestError):
    """Content moderation refused a prompt, an upload or a generated video.

    Names the categories only: never the words or rules that matched (the operator's
    rule list is theirs, and quoting it back would teach how to get around it).
    """

    code = "content_blocked"

    def __init__(self, message: str, *, categories: list[str], param: str | None = None) -> None:
        super().__init__(message, param=param)
        self.categories = categories


class LikenessAffirmationRequiredError(BadRequestError):
    """An image→video or dance input shows a face and the caller did not affirm that they
    are that person or have their permission."""

    code = "likeness_affirmation_required"


class ValidationError(ReelvaultError):
    code = "invalid_request"
    http_status = 422


class UnsupportedMediaError(ValidationError):
    code = "unsupported_media_type"
    http_status = 415


class PayloadTooLargeError(ValidationError):
    code = "payload_too_large"
    http_status = 413


class UnauthorizedError(ReelvaultError):
    code = "unauthorized"
    http_status = 401


class RateLimitedError(ReelvaultError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConcurrentJobsError(RateLimitedError):
    """The owner's plan allows no more jobs queued or running at once (429, Retry-After)."""

    code = "too_many_concurrent_jobs"


class PaymentRequiredError(ReelvaultError):
    """The owner's plan does not cover this request; a bigger plan would (402)."""

    code = "payment_required"
    http_status = 402


class QuotaExceededError(PaymentRequiredError):
    """This month's video seconds of the owner's plan are used up."""

    code = "quota_exceeded"


class PlanResolutionError(PaymentRequiredError):
    """The frame asked for is larger than the owner's plan allows."""

    code = "resolution_not_in_plan"


class BadSignatureError(ReelvaultError):
    """A signed request (a payment processor's webhook) whose signature does not verify."""

    code = "invalid_signature"
    http_status = 400


class ForbiddenError(ReelvaultError):
    code = "forbidden"
    http_status = 403


class ConsentRequiredError(ForbiddenError):
    """Data would leave this machine for a provider the owner has not opted in to."""

    code = "consent_required"

    def __init__(self, message: str, *, provider: str, sends: list[str]) -> None:
        super().__init__(message, param="consent")
        self.provider = provider
        self.sends = sends


class AgeRequiredError(ForbiddenError):
    """An adults-only action by an owner who has not yet said whether they are old enough."""

    code = "age_required"

    def __init__(self, message: str, *, minimum_age: int) -> None:
        super().__init__(message, param="age")
        self.minimum_age = minimum_age


class InsufficientScopeError(ForbiddenError):
    """The credential is valid but its scopes do not include the one the route needs."""

    code = "insufficient_scope"

    def __init__(self, message: str, *, scope: str) -> None:
        super().__init__(message, param="scope")
        self.scope = scope


class NotFoundError(ReelvaultError):
    code = "not_found"
    http_status = 404


class ConflictError(ReelvaultError):
    code = "conflict"
    http_status = 409


class UnavailableError(ReelvaultError):
    """Something this request needs is not set up or not reachable here (no e-mail, say)."""

    code = "unavailable"
    http_status = 503


class GoneError(ReelvaultError):
    code = "gone"
    http_status = 410


class EngineError(ReelvaultError):
    code = "engine_error"
    http_status = 500


class EngineNotFoundError(EngineError):
    code = "unknown_engine"
    http_status = 400


class JobCancelledError(ReelvaultError):
    code = "job_cancelled"
    http_status = 409


class LeaseLostError(ReelvaultError):
    """Another worker took the job over (this worker's lease expired); stop quietly."""

    code = "lease_lost"
    http_status = 409


__all__ = [
    "AgeRequiredError",
    "BadSignatureError",
    "ConcurrentJobsError",
    "ConfigError",
    "ConflictError",
    "EngineError",
    "ConsentRequiredError",
    "ContentBlockedError",
    "EngineNotFoundError",
    "ForbiddenError",
    "GoneError",
    "InsufficientScopeError",
    "IntegrityError",
    "JobCancelledError",
    "KeyNotFoundError",
    "LikenessAffirmationRequiredError",
    "LeaseLostError",
    "NotFoundError",
    "ObjectNotFoundError",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "PlanResolutionError",
    "PolicyError",
    "QuotaExceededError",
    "RateLimitedError",
    "ReelvaultError",
    "StorageError",
    "UnauthorizedError",
    "UnavailableError",
    "UnsupportedMediaError",
    "ValidationError",
    "VaultError",
]
