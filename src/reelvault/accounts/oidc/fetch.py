"""Bounded HTTP calls to an OpenID Connect provider: in time, in size, no redirects.

The provider is the operator's choice (its issuer URL is a setting), so the address
guard of :mod:`reelvault.ssrf` does not judge it: a company Keycloak on the private
network is a fair choice. What a provider answers is still bounded: each call ends
after :data:`DEADLINE_SECONDS` however slowly the bytes come, an answer over
:data:`MAX_ANSWER_BYTES` is refused, and redirects are not followed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from reelvault.errors import UnavailableError
from reelvault.ssrf import guarded_client

DEADLINE_SECONDS = 10.0
TIMEOUT = httpx.Timeout(DEADLINE_SECONDS, connect=5.0)
MAX_ANSWER_BYTES = 256 * 1024  # discovery documents and key sets are a few KiB
PROVIDER_FAILED = "the sign-in provider did not answer as expected: try again later"


class ProviderAnswerError(UnavailableError):
    """The provider could not be reached, was too slow or too big, or answered nonsense.

    The message names neither the provider's URL nor what it said (it may echo a code).
    """


def provider_json(
    method: str,
    url: str,
    *,
    data: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """(status, JSON object) of one call; :class:`ProviderAnswerError` when none came."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    body = bytearray()
    headers = {"Accept": "application/json"}
    try:
        with (
            guarded_client(allow_private=True, timeout=TIMEOUT, headers=headers) as client,
            client.stream(method, url, data=data, auth=auth) as answer,
        ):
            for chunk in answer.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES or time.monotonic() > deadline:
                    raise ProviderAnswerError(PROVIDER_FAILED)
            status = answer.status_code
    except httpx.HTTPError:
        raise ProviderAnswerError(PROVIDER_FAILED) from None
    try:
        document = json.loads(bytes(body))
    except ValueError:
        raise ProviderAnswerError(PROVIDER_FAILED) from None
    if not isinstance(document, dict):
        raise ProviderAnswerError(PROVIDER_FAILED)
    return status, document


__all__ = ["MAX_ANSWER_BYTES", "PROVIDER_FAILED", "ProviderAnswerError", "provider_json"]
