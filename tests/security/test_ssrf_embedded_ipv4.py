"""SSRF: IPv6 forms that hide an IPv4 address, and one DNS lookup per outgoing request.

Issue 15, finding 4. ``[::127.0.0.1]``, ``[64:ff9b::7f00:1]`` (NAT64) or
``[2002:7f00:1::]`` (6to4) reach 127.0.0.1, yet Python's ``is_global`` calls them public;
the webhook guard and the remote engines' download guard accepted them.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from reelvault.db.models import WebhookDelivery
from reelvault.engines.remote.config import RemoteConfig
from reelvault.engines.remote.http import Deadline, ProviderHttp
from reelvault.errors import EngineError, ValidationError
from reelvault.jobs.webhooks import check_webhook_url
from reelvault.ssrf import (
    AddressRefusedError,
    PinnedTransport,
    checked_addresses,
    embedded_ipv4,
    is_public_address,
)
from tests.unit.api.conftest import FAKE_JOB, make_client

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address

# Each hides 127.0.0.1 (or another private IPv4 address) in an IPv6 address.
HIDDEN_PRIVATE = {
    "IPv4-compatible": "::7f00:1",
    "IPv4-compatible, dotted": "::127.0.0.1",
    "IPv4-mapped": "::ffff:127.0.0.1",
    "IPv4-translated (SIIT)": "::ffff:0:7f00:1",
    "NAT64 well-known prefix": "64:ff9b::7f00:1",
    "NAT64 to the cloud metadata address": "64:ff9b::a9fe:a9fe",
    "NAT64 local-use prefix (/48 layout)": "64:ff9b:1:7f00:0:100::",
    "6to4": "2002:7f00:1::",
    "6to4 of 10.0.0.1": "2002:a00:1::1",
    "Teredo, client 127.0.0.1": "2001:0:4136:e378:8000:63bf:80ff:fffe",
    "IPv6 loopback": "::1",
    "unspecified": "::",
}
PUBLIC = ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]


def v4s() -> st.SearchStrategy[V4]:
    return st.integers(0, 2**32 - 1).map(V4)


def forms(address: V4, noise: int) -> dict[str, V6]:
    """Every IPv6 form that embeds ``address``; ``noise`` fills the free bits."""
    value = int(address)
    low80 = noise & (2**80 - 1)
    return {
        "compatible": V6(value),
        "mapped": V6(0xFFFF << 32 | value),
        "translated": V6(0xFFFF << 48 | value),
        "nat64": V6(0x64FF9B << 96 | value),
        "nat64-local": V6(
            0x0064_FF9B_0001 << 80
            | (value >> 16) << 64
            | (value & 0xFFFF) << 40
            | (noise & (2**40 - 1))
        ),
        "6to4": V6(0x2002 << 112 | value << 80 | low80),
        "teredo": V6(
            0x2001_0000 << 96
            | (noise & 0xFFFFFFFF) << 64
            | (noise >> 32 & 0xFFFFFFFF) << 32
            | (~value & 0xFFFFFFFF)
        ),
    }


@given(address=v4s(), noise=st.integers(0, 2**128 - 1))
def test_every_embedding_decodes_back_to_its_ipv4_address(address: V4, noise: int) -> None:
    for name, embedded in forms(address, noise).items():
        assert address in embedded_ipv4(embedded), name


@given(address=v4s(), noise=st.integers(0, 2**128 - 1))
def test_an_address_hidden_in_ipv6_is_never_more_public_than_itself(
    address: V4, noise: int
) -> None:
    if is_public_address(address):
        return
    for name, embedded in forms(address, noise).items():
        assert not is_public_address(embedded), name


@given(st.integers(0, 2**128 - 1).map(V6))
def test_ordinary_ipv6_addresses_embed_nothing(address: V6) -> None:
    embedding = [
        "::/96",
        "::ffff:0:0/96",
        "::ffff:0:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
        "2001::/32",
    ]
    if not any(address in ipaddress.IPv6Network(net) for net in embedding):
        assert embedded_ipv4(address) == ()


@pytest.mark.parametrize("name", sorted(HIDDEN_PRIVATE))
def test_the_webhook_guard_refuses_each_hidden_private_form(name: str) -> None:
    url = f"http://[{HIDDEN_PRIVATE[name]}]:8080/hook"
    with pytest.raises(ValidationError, match="private or local") as caught:
        check_webhook_url(url, allow_private=False)
    assert caught.value.param == "webhook_url"


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_and_their_public_embeddings_stay_allowed(address: str) -> None:
    literal = f"[{address}]" if ":" in address else address
    assert check_webhook_url(f"https://{literal}/hook", allow_private=False)


@pytest.mark.parametrize("form", ["::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::"])
def test_the_api_refuses_a_job_whose_webhook_hides_loopback(tmp_path: Path, form: str) -> None:
    client, runtime = make_client(tmp_path)
    with client:
        response = client.post(
            "/api/v1/jobs", json={**FAKE_JOB, "webhook_url": f"http://[{form}]/hook"}
        )
    runtime.close()
    assert response.status_code == 422, response.text
    assert response.json()["error"]["param"] == "webhook_url"


def test_a_remote_output_url_hiding_loopback_is_not_fetched(tmp_path: Path) -> None:
    config = RemoteConfig(allow_private=False, connect_timeout=1.0, read_timeout=1.0)
    with (
        ProviderHttp(
            provider="fal",
            base_url="https://queue.fal.run",
            config=config,
            deadline=Deadline("fal", 10.0),
            tick=lambda: None,
        ) as http,
        pytest.raises(EngineError, match="private address"),
    ):
        http.download("https://[64:ff9b::7f00:1]/out.mp4", tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


# -- resolve once, connect to the checked address ---------------------------------------


class Lookups:
    """A resolver that answers from a script, one answer per call, and counts calls."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


class Recorder(httpx.BaseTransport):
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(204)


def test_a_name_resolving_to_a_private_address_is_refused_before_connecting() -> None:
    inner = Recorder()
    transport = PinnedTransport(resolver=Lookups(["10.0.0.7"]), inner=inner)
    with httpx.Client(transport=transport) as client, pytest.raises(AddressRefusedError):
        client.post("https://hooks.example.com/hook", content=b"{}")
    assert inner.requests == []


def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    with pytest.raises(AddressRefusedError):
        checked_addresses("hooks.example.com", 443, resolver=Lookups(["8.8.8.8", "::1"]))


def test_the_connection_goes_to_the_checked_address_with_the_name_for_host_and_tls() -> None:
    # A rebinding resolver: public for the first lookup, loopback for any later one.
    lookups = Lookups(["93.184.215.14"], ["127.0.0.1"])
    inner = Recorder()
    with httpx.Client(transport=PinnedTransport(resolver=lookups, inner=inner)) as client:
        client.post("https://hooks.example.com:8443/hook?a=1", content=b"{}")
    assert lookups.calls == ["hooks.example.com"]  # one lookup, no second one to rebind
    (sent,) = inner.requests
    assert sent.url == httpx.URL("https://93.184.215.14:8443/hook?a=1")
    assert sent.headers["host"] == "hooks.example.com:8443"
    assert sent.extensions["sni_hostname"] == "hooks.example.com"
    assert sent.read() == b"{}"


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[str]]]:
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hosts.append(self.headers["host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
        daemon=True,
    )
    thread.start()
    yield server.server_address[1], hosts
    server.shutdown()
    server.server_close()


def test_a_real_connection_reaches_the_pinned_address_without_a_second_lookup(
    receiver: tuple[int, list[str]],
) -> None:
    port, hosts = receiver
    # Stand-ins: 127.0.0.1 plays a public address, 127.0.0.2 (nothing listens) a
    # private one that a second lookup would have answered.
    lookups = Lookups(["127.0.0.1"], ["127.0.0.2"])
    transport = PinnedTransport(resolver=lookups, judge=lambda a: str(a) == "127.0.0.1")
    with httpx.Client(transport=transport) as client:
        first = client.post(f"http://hooks.invalid:{port}/hook", content=b"{}")
        with pytest.raises(AddressRefusedError):
            client.post(f"http://hooks.invalid:{port}/hook", content=b"{}")
    assert first.status_code == 204
    assert hosts == [f"hooks.invalid:{port}"]
    assert lookups.calls == ["hooks.invalid", "hooks.invalid"]


def test_webhook_delivery_resolves_once_and_never_reaches_a_rebound_address(
    tmp_path: Path, receiver: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job is accepted while the name is public; at delivery it rebinds to loopback."""
    port, hosts = receiver
    real = socket.getaddrinfo
    answers = iter(["93.184.215.14"] + ["127.0.0.1"] * 50)
    calls: list[str] = []

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "hooks.example.com":
            return real(host, *args, **kwargs)
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    client, runtime = make_client(tmp_path, webhook_retry_base_seconds=60)
    with client:
        url = f"http://hooks.example.com:{port}/hook"
        response = client.post("/api/v1/jobs", json={**FAKE_JOB, "webhook_url": url})
        assert response.status_code == 201, response.text
        assert calls == ["hooks.example.com"]
        deadline = time.monotonic() + 20
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        with runtime.session() as session:
            (delivery,) = session.scalars(select(WebhookDelivery)).all()
            error = delivery.last_error
    runtime.close()
    assert calls == ["hooks.example.com"] * 2  # once at creation, once at delivery
    assert hosts == []  # the loopback receiver never heard from us
    assert error is not None and "private or local address" in error
