"""A real OpenID provider for the tests, built from authlib's server components.

authlib's Flask authorization server with its authorization code grant, PKCE
(``CodeChallenge``, required) and OpenID Connect (``OpenIDCode``) extensions, signing ID
tokens with an RSA key of its own and publishing the public half as its JWKS. It serves
real HTTP on a free port of 127.0.0.1 from a thread, so reelvault discovers it, fetches
its keys and redeems codes over the network like with any provider.

The person signing in is :attr:`LocalProvider.user` (consent is automatic). A test that
needs a misbehaving provider sets :attr:`LocalProvider.tamper`: claims that override
those of the next ID tokens (another ``aud``, another ``nonce``...).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "reelvault-test"
CLIENT_SECRET = "s3cret with spaces & symbols"  # exercises RFC 6749 2.3.1 encoding


@dataclass
class Client:
    client_id: str
    client_secret: str
    auth_methods: tuple[str, ...] = ("client_secret_basic", "client_secret_post")

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri.endswith("/callback")

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in self.auth_methods

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict[str, Any]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class LocalProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1"})
        self.user: dict[str, Any] = {
            "sub": "248289761001",
            "email": "jane.doe@example.org",
            "email_verified": True,
        }
        self.tamper: dict[str, Any] = {}
        self.sign_with: RSAKey | None = None  # a key its JWKS does not hold (a forgery)
        self.discovery_extra: dict[str, Any] = {}  # fields over those of the document
        self.codes: dict[str, Code] = {}
        self.token_calls = 0
        self.client = Client(CLIENT_ID, CLIENT_SECRET)
        self.issuer = ""  # set once the port is known
        self.app = self._app()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": list(self.client.auth_methods),
            "code_challenge_methods_supported": ["S256"],
            **self.discovery_extra,
        }

    def _app(self) -> Flask:
        app = Flask("local-openid-provider")
        server = AuthorizationServer(
            app,
            query_client=lambda cid: self.client if cid == self.client.client_id else None,
            save_token=lambda token, request: None,
        )
        server.register_grant(
            _code_grant(self), [CodeChallenge(required=True), _openid_code(self)()]
        )

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify(self.discovery())

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify({"keys": [self.key.as_dict(private=False)]})

        @app.get("/authorize")
        def authorize() -> Any:
            user = dict(self.user)
            grant = server.get_consent_grant(end_user=user)  # checks the request first
            return server.create_authorization_response(grant=grant, grant_user=user)

        @app.post("/token")
        def token() -> Any:
            self.token_calls += 1
            return server.create_token_response()

        return app


def _code_grant(provider: LocalProvider) -> type[grants.AuthorizationCodeGrant]:
    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
            "client_secret_basic",
            "client_secret_post",
        ]

        def save_authorization_code(self, code: str, request: Any) -> None:
            data = request.payload.data
            provider.codes[code] = Code(
                code=code,
                client_id=request.client.get_client_id(),
                redirect_uri=request.payload.redirect_uri,
                scope=request.payload.scope,
                user=request.user,
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
            )

        def query_authorization_code(self, code: str, client: Client) -> Code | None:
            found = provider.codes.get(code)
            return found if found and found.client_id == client.client_id else None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            provider.codes.pop(authorization_code.code, None)  # a code works once

        def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
            return authorization_code.user

    return CodeGrant


def _openid_code(provider: LocalProvider) -> type[OpenIDCode]:
    class LocalOpenIDCode(OpenIDCode):
        def exists_nonce(self, nonce: str, request: Any) -> bool:
            return False

        def resolve_client_private_key(self, client: Client) -> RSAKey:
            return provider.sign_with or provider.key

        def get_client_algorithm(self, client: Client) -> str:
            return "RS256"

        def get_encode_header(self, client: Client) -> dict[str, str]:
            return {"alg": "RS256", "kid": "test-key-1"}

        def get_client_claims(self, client: Client) -> dict[str, Any]:
            return {"iss": provider.issuer, "aud": [client.get_client_id()]}

        def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
            # Last in the token's claims: a tampered aud or nonce overrides the real one.
            return UserInfo({**user, **provider.tamper})

    return LocalOpenIDCode


@contextmanager
def running_provider() -> Iterator[LocalProvider]:
    provider = LocalProvider()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log in test output
    server = make_server("127.0.0.1", 0, provider.app, threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
        name="oidc-provider",
        daemon=True,
    )
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=5)
