"""A local stand-in for Stripe's API, for the billing tests (Stripe is a paid provider).

It speaks Stripe's documented HTTP protocol for the three calls reelvault makes, and only
those: ``POST /v1/customers``, ``POST /v1/checkout/sessions`` and
``POST /v1/billing_portal/sessions``, each a form-encoded body (nested fields as
``line_items[0][price]``), authenticated by ``Authorization: Bearer sk_...``, answered
with the JSON object Stripe documents (``id``, ``object``, ``url``, ...) or Stripe's
error shape (``{"error": {"type", "message", "param"}}``). It runs on a free port in a
thread, and keeps every request it got so tests can see what reelvault sent.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

SECRET_KEY = "sk_test_reelvault_fake"


@dataclass
class Received:
    path: str
    form: dict[str, str]
    body: str
    headers: dict[str, str]


@dataclass
class FakeStripe:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def calls(self, path: str) -> list[Received]:
        return [call for call in self.received if call.path == path]


def _required(form: dict[str, str], *names: str) -> str | None:
    return next((name for name in names if not form.get(name)), None)


def _metadata(form: dict[str, str], prefix: str = "metadata") -> dict[str, str]:
    return {
        key[len(prefix) + 1 : -1]: value
        for key, value in form.items()
        if key.startswith(prefix + "[") and key.endswith("]") and key.count("[") == 1
    }


def _handler(state: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_" + secrets.token_hex(7))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, param: str | None = None) -> None:
            error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
            if param:
                error["param"] = param
            self._answer(status, {"error": error})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = dict(parse_qsl(body, keep_blank_values=True))
            state.received.append(
                Received(self.path, form, body, {k.lower(): v for k, v in self.headers.items()})
            )
            if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                self._error(401, "Invalid API Key provided")
                return
            if self.headers.get("Content-Type", "").split(";")[0] != (
                "application/x-www-form-urlencoded"
            ):
                self._error(400, "Stripe takes form-encoded bodies")
                return
            route = {
                "/v1/customers": self._customer,
                "/v1/checkout/sessions": self._checkout,
                "/v1/billing_portal/sessions": self._portal,
            }.get(self.path)
            if route is None:
                self._error(404, f"Unrecognized request URL (POST: {self.path})")
                return
            route(form)

        def _customer(self, form: dict[str, str]) -> None:
            customer = {
                "id": "cus_" + secrets.token_hex(7),
                "object": "customer",
                "email": form.get("email"),
                "metadata": _metadata(form),
                "livemode": False,
            }
            state.customers[customer["id"]] = customer
            self._answer(200, customer)

        def _checkout(self, form: dict[str, str]) -> None:
            missing = _required(form, "mode", "success_url")
            if missing:
                self._error(400, f"Missing required param: {missing}.", missing)
                return
            if form["mode"] == "subscription" and not form.get("line_items[0][price]"):
                self._error(400, "Missing required param: line_items.", "line_items")
                return
            customer = form.get("customer")
            if customer and customer not in state.customers:
                self._error(400, f"No such customer: '{customer}'", "customer")
                return
            session_id = "cs_test_" + secrets.token_hex(12)
            self._answer(
                200,
                {
                    "id": session_id,
                    "object": "checkout.session",
                    "mode": form["mode"],
                    "customer": customer,
                    "client_reference_id": form.get("client_reference_id"),
                    "metadata": _metadata(form),
                    "status": "open",
                    "payment_status": "unpaid",
                    "success_url": form["success_url"],
                    "cancel_url": form.get("cancel_url"),
                    "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                },
            )

        def _portal(self, form: dict[str, str]) -> None:
            missing = _required(form, "customer")
            if missing:
                self._error(400, f"Missing required param: {missing}.", missing)
                return
            if form["customer"] not in state.customers:
                self._error(400, f"No such customer: '{form['customer']}'", "customer")
                return
            session_id = "bps_" + secrets.token_hex(12)
            self._answer(
                200,
                {
                    "id": session_id,
                    "object": "billing_portal.session",
                    "customer": form["customer"],
                    "return_url": form.get("return_url"),
                    "url": f"https://billing.stripe.com/p/session/test_{session_id}",
                },
            )

    return Handler


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    state = FakeStripe()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
        daemon=True,
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


__all__ = ["SECRET_KEY", "FakeStripe", "Received", "fake_stripe"]
