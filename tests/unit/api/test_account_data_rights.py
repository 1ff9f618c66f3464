"""An account holder's rights of access and portability cover the account itself.

The policy lists ``access`` and ``portability`` among the rights on the account data
class (the e-mail address, the sign-in identifier): what the access request answers and
what the export carries must include the account, or a person with nothing but an
account is told that nothing is held about them.
"""

from __future__ import annotations

import io
import json
import zipfile

from fastapi.testclient import TestClient

from .test_accounts import EMAIL, _signup, locked  # noqa: F401 (a fixture)


def test_access_names_the_account_held(locked: TestClient) -> None:  # noqa: F811
    account = _signup(locked)
    answer = locked.get("/api/v1/privacy/access")
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["holds_data"] is True
    assert summary["held"]["account"]["accounts"] == 1
    assert summary["identity"]["account_id"] == account["id"]
    assert EMAIL.lower() not in answer.text  # counts only: the address is in the export


def test_the_export_carries_the_account_and_its_address(locked: TestClient) -> None:  # noqa: F811
    account = _signup(locked)
    answer = locked.get("/api/v1/privacy/export")
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        data = json.loads(archive.read("data.json"))
    (record,) = data["owners"]
    exported = record["account"]
    assert exported["id"] == account["id"]
    assert exported["email"] == EMAIL.lower()
    assert exported["role"] == "user"
    assert exported["age_confirmed_at"] and exported["created_at"]
    assert "password_hash" not in exported and "$argon2" not in json.dumps(data)


def test_without_an_account_the_export_says_none(locked: TestClient) -> None:  # noqa: F811
    from reelvault.accounts.keys import create_api_key

    from .test_accounts import _runtime

    key = create_api_key(_runtime(locked), name="someone")
    answer = locked.get("/api/v1/privacy/export", headers={"Authorization": f"Bearer {key.secret}"})
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        (record,) = json.loads(archive.read("data.json"))["owners"]
        assert record["account"] is None
