"""HTTP for the remote providers: timeouts everywhere, bounded retries, clean errors.

Every call runs under the job's :class:`Deadline` and connect/read timeouts, so no job
hangs on a provider. A 429 is retried after its ``Retry-After`` (bounded); a failed
call becomes an :class:`EngineError` naming the provider and the HTTP status, never
quoting what was sent. The key goes only to the provider's own origin: URLs the
provider hands back (CDN outputs) are fetched without it, and only from a public
address (unless the operator allows private ones), through the SSRF guard of
:mod:`reelvault.ssrf`: the host is resolved once and the download connects to the
address that was checked.
"""

from __future__ import annotations

import base64
import contextlib
import mimetypes
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from reelvault.engines.remote.config import RemoteConfig
from reelvault.errors import EngineError
from reelvault.ssrf import AddressRefusedError, guarded_client

Tick = Callable[[], None]
"""Called while waiting; it raises JobCancelledError when the job was cancelled."""

RETRIES_429 = 5
RETRIES_TRANSIENT = 3
TRANSIENT = frozenset({502, 503, 504})
MAX_REDIRECTS = 5
CHUNK = 1024 * 1024


class Deadline:
    """The moment a remote job must be over, with sleeps that keep checking the job."""

    def __init__(self, provider: str, seconds: float) -> None:
        self.provider = provider
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    def check(self) -> None:
        if self.remaining() <= 0:
            raise EngineError(
                f"{self.provider} did not finish within {self.seconds:g} s "
                "(remote_timeout_seconds); the remote request was cancelled"
            )

    def sleep(self, seconds: float, tick: Tick) -> None:
        """Sleep in short slices, calling ``tick`` so a cancellation is noticed promptly."""
        until = time.monotonic() + max(0.0, seconds)
        while True:
            tick()
            self.check()
            left = min(until - time.monotonic(), self.remaining())
            if left <= 0:
                return
            time.sleep(min(0.25, left))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def same_origin(url: str, base: str) -> bool:
    return _origin(url) == _origin(base)


def check_public_url(provider: str, url: str, *, allow_private: bool) -> None:
    """Refuse a provider-returned URL that is not http(s) (https unless private is allowed).

    Its address is judged when it is fetched (:meth:`ProviderHttp.download`), by the
    transport that connects to it: resolved once, so the check and the connection see
    the same address.
    """
    try:
        parts = urlsplit(url)
        hostname, _port = parts.hostname, parts.port  # a malformed port raises here
    except ValueError:
        raise EngineError(f"{provider} returned an output URL that is not valid") from None
    if parts.scheme not in ("https", "http") or not hostname:
        raise EngineError(f"{provider} returned an output URL that is not http(s)")
    if not allow_private and parts.scheme != "https":
        raise EngineError(f"{provider} returned an output URL that is not https")


def address_refused(provider: str, exc: AddressRefusedError) -> EngineError:
    if exc.reason == "unresolvable":
        return EngineError(f"{provider} returned an output URL whose host does not resolve")
    return EngineError(
        f"{provider} returned an output URL on a private address (set "
        "remote_allow_private to allow it)"
    )


def data_uri(path: Path) -> str:
    """The file as a ``data:`` URI: sent inline, so the provider stores no upload."""
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def retry_after_seconds(response: httpx.Response, default: float = 2.0) -> float:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, moment.timestamp() - time.time())


def _detail(response: httpx.Response) -> str:
    """A short, payload-free hint from an error body (pydantic-style field errors only)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):
        hints = []
        for item in detail[:3]:
            if isinstance(item, dict) and isinstance(item.get("loc"), list):
                where = ".".join(str(part) for part in item["loc"])
                # "msg" describes the rule ("Input should be ..."), not the value sent.
                hints.append(f"{where}: {str(item.get('msg', 'invalid'))[:120]}")
        return f": {'; '.join(hints)}" if hints else ""
    return ""


def raise_for_status(provider: str, response: httpx.Response, what: str) -> None:
    status = response.status_code
    if status < 400:
        return
    if status in (401, 403):
        raise EngineError(
            f"{provider} refused the API key (HTTP {status}) while trying to {what}: the key "
            "is wrong, revoked or lacks access"
        )
    if status == 404:
        raise EngineError(f"{provider}: not found (HTTP 404) while trying to {what}")
    if status == 429:
        raise EngineError(f"{provider} kept rate-limiting (HTTP 429) the attempt to {what}")
    if status < 500:
        raise EngineError(
            f"{provider} rejected the request (HTTP {status}) to {what}{_detail(response)}"
        )
    raise EngineError(f"{provider} had a server error (HTTP {status}) while trying to {what}")


class ProviderHttp:
    """One provider's HTTP client: its base URL, its auth header, the job's deadline."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        config: RemoteConfig,
        deadline: Deadline,
        tick: Tick,
        auth: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.config = config
        self.deadline = deadline
        self.tick = tick
        self._auth = dict(auth or {})
        timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
        self.client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": "reelvault"},
        )
        # URLs the provider hands back: checked and pinned by the SSRF guard.
        self.public_client = guarded_client(
            allow_private=config.allow_private,
            timeout=timeout,
            headers={"User-Agent": "reelvault"},
            inner=transport,
        )

    def close(self) -> None:
        self.client.close()
        self.public_client.close()

    def __enter__(self) -> ProviderHttp:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def own(self, url: str, *, fallback: str) -> str:
        """``url`` if it is on the provider's own origin, else ``fallback`` (never leak the key)."""
        return url if isinstance(url, str) and same_origin(url, self.base_url) else fallback

    def _timeout(self) -> httpx.Timeout:
        left = max(0.5, self.deadline.remaining())
        return httpx.Timeout(
            min(self.config.read_timeout, left), connect=min(self.config.connect_timeout, left)
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json: Any = None,
        files: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (),
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one call with the provider's auth; retry 429 (and transient 5xx if idempotent).

        Statuses in ``ok`` are returned to the caller instead of raising.
        """
        if not same_origin(url, self.base_url):
            raise EngineError(f"{self.provider}: refusing to send the API key to another host")
        retry_transient = method in ("GET", "HEAD") if idempotent is None else idempotent
        sent_headers = {**self._auth, **(headers or {})}
        tries_429 = tries_transient = 0
        while True:
            self.deadline.check()
            try:
                response = self.client.request(
                    method,
                    url,
                    json=json,
                    files=files,
                    data=data,
                    headers=sent_headers,
                    params=params,
                    timeout=self._timeout(),
                )
            except httpx.TimeoutException:
                if retry_transient and tries_transient < RETRIES_TRANSIENT:
                    tries_transient += 1
                    continue
                raise EngineError(
                    f"{self.provider} did not answer in time while trying to {what}"
                ) from None
            except httpx.TransportError as exc:
                if retry_transient and tries_transient < RETRIES_TRANSIENT:
                    tries_transient += 1
                    self.deadline.sleep(0.5 * tries_transient, self.tick)
                    continue
                raise EngineError(
                    f"{self.provider} could not be reached while trying to {what} "
                    f"({type(exc).__name__})"
                ) from None
            status = response.status_code
            if status in ok:
                return response
            if status == 429 and tries_429 < RETRIES_429:
                wait = retry_after_seconds(response)
                if wait > self.config.max_retry_after or wait > self.deadline.remaining():
                    raise EngineError(
                        f"{self.provider} is rate-limiting this account (HTTP 429, retry after "
                        f"{wait:.0f} s); try again later"
                    )
                tries_429 += 1
                self.deadline.sleep(wait, self.tick)
                continue
            if status in TRANSIENT and retry_transient and tries_transient < RETRIES_TRANSIENT:
                tries_transient += 1
                self.deadline.sleep(min(retry_after_seconds(response, 1.0), 5.0), self.tick)
                continue
            raise_for_status(self.provider, response, what)
            return response

    def json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise EngineError(f"{self.provider} answered {what} with something not JSON") from None
        if not isinstance(body, dict):
            raise EngineError(f"{self.provider} answered {what} with an unexpected JSON shape")
        return body

    def download(
        self, url: str, destination: Path, *, what: str = "download the video", own: bool = False
    ) -> Path:
        """Stream ``url`` to ``destination`` (size-limited, redirects checked one by one)."""
        for _ in range(MAX_REDIRECTS + 1):
            if own:
                if not same_origin(url, self.base_url):
                    raise EngineError(f"{self.provider}: output redirected to another host")
                headers, client = self._auth, self.client
            else:
                check_public_url(self.provider, url, allow_private=self.config.allow_private)
                headers, client = {}, self.public_client  # a CDN gets no key
            self.deadline.check()
            try:
                with client.stream(
                    "GET", url, headers=headers, timeout=self._timeout()
                ) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        own = own and same_origin(url, self.base_url)
                        continue
                    raise_for_status(self.provider, response, what)
                    self._save(response, destination)
                    return destination
            except AddressRefusedError as exc:
                raise address_refused(self.provider, exc) from None
            except httpx.TimeoutException:
                raise EngineError(f"{self.provider}: timed out trying to {what}") from None
            except httpx.TransportError as exc:
                raise EngineError(
                    f"{self.provider}: connection failed trying to {what} ({type(exc).__name__})"
                ) from None
        raise EngineError(f"{self.provider}: too many redirects trying to {what}")

    def _save(self, response: httpx.Response, destination: Path) -> None:
        limit = self.config.max_download_bytes
        size = 0
        last_tick = time.monotonic()
        with destination.open("wb") as handle:
            for chunk in response.iter_bytes(CHUNK):
                size += len(chunk)
                if size > limit:
                    handle.close()
                    destination.unlink(missing_ok=True)
                    raise EngineError(f"{self.provider}: the output is larger than {limit} bytes")
                handle.write(chunk)
                if time.monotonic() - last_tick > 0.5:
                    last_tick = time.monotonic()
                    self.tick()
                    self.deadline.check()
        if size == 0:
            destination.unlink(missing_ok=True)
            raise EngineError(f"{self.provider}: the output file is empty")


def best_effort(action: Callable[[], object]) -> None:
    """Run a clean-up call whose failure must not hide the job's real outcome."""
    # Cancel/delete at a provider is best effort by design.
    with contextlib.suppress(Exception):
        action()


__all__ = [
    "Deadline",
    "ProviderHttp",
    "Tick",
    "best_effort",
    "check_public_url",
    "data_uri",
    "raise_for_status",
    "retry_after_seconds",
    "same_origin",
]
