"""An account's display name: optional at sign-up, changed by its owner, kept encrypted
(never in the database), and shredded when changed or when the account goes."""

from __future__ import annotations

import io
import json
import zipfile

from fastapi.testclient import TestClient
from sqlalchemy import select

from reelvault.db.models import Account
from reelvault.types import ObjectId
from tests.storage_backends import database_holds

from .test_accounts import PASSWORD, _csrf, _runtime, locked  # noqa: F401 (a fixture)

NAME = "Countess Augusta"


def _signup(client: TestClient, **extra: object) -> dict[str, object]:
    body = {"email": "ada@example.org", "password": PASSWORD, "age_confirmed": True, **extra}
    answer = client.post("/api/v1/account/signup", json=body)
    assert answer.status_code == 202, answer.text  # alike for every address: no sign-in
    login = {"email": body["email"], "password": PASSWORD}
    assert client.post("/api/v1/account/login", json=login).status_code == 200
    made: dict[str, object] = client.get("/api/v1/account").json()
    return made


def _name_object(client: TestClient) -> str | None:
    with _runtime(client).session() as session:
        return session.scalars(select(Account)).one().display_name_object


def test_the_name_is_optional_and_kept_encrypted(locked: TestClient) -> None:  # noqa: F811
    made = _signup(locked, display_name=f"  {NAME} ")
    assert made["display_name"] == NAME  # trimmed
    assert locked.get("/api/v1/account").json()["display_name"] == NAME
    assert not database_holds(_runtime(locked).db, b"Augusta")
    export = locked.get("/api/v1/privacy/export")
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        (record,) = json.loads(archive.read("data.json"))["owners"]
    assert record["account"]["display_name"] == NAME


def test_without_a_name_none_is_stored(locked: TestClient) -> None:  # noqa: F811
    assert _signup(locked)["display_name"] is None
    assert _name_object(locked) is None


def test_a_changed_name_shreds_the_old_one(locked: TestClient) -> None:  # noqa: F811
    _signup(locked, display_name=NAME)
    vault = _runtime(locked).vault
    old = _name_object(locked)
    assert old is not None and vault.exists(ObjectId(old))
    changed = locked.patch("/api/v1/account", json={"display_name": "Ada"}, headers=_csrf(locked))
    assert changed.status_code == 200 and changed.json()["display_name"] == "Ada"
    assert not vault.exists(ObjectId(old))
    newer = _name_object(locked)
    cleared = locked.patch("/api/v1/account", json={"display_name": " "}, headers=_csrf(locked))
    assert cleared.json()["display_name"] is None and _name_object(locked) is None
    assert newer is not None and not vault.exists(ObjectId(newer))


def test_names_with_control_characters_or_too_long_are_refused(
    locked: TestClient,  # noqa: F811
) -> None:
    _signup(locked)
    for bad in ("Ada\u0000Lovelace", "Ada\nLovelace\u202e", "x" * 81):
        answer = locked.patch("/api/v1/account", json={"display_name": bad}, headers=_csrf(locked))
        assert answer.status_code == 422, bad
        assert answer.json()["error"]["param"] == "display_name"


def test_deleting_the_account_shreds_the_name(locked: TestClient) -> None:  # noqa: F811
    _signup(locked, display_name=NAME)
    name_object = _name_object(locked)
    assert name_object is not None
    gone = locked.delete("/api/v1/account", headers=_csrf(locked))
    assert gone.status_code == 200, gone.text
    assert not _runtime(locked).vault.exists(ObjectId(name_object))
