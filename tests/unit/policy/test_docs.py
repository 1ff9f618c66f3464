from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import pytest

from reelvault.policy import builtin_profiles
from reelvault.types import DataClass, LegalBasis, Purpose, Right, StorageLocation

DOC = Path(__file__).resolve().parents[3] / "docs" / "policy.md"


@pytest.mark.parametrize("enum", [DataClass, Purpose, LegalBasis, Right, StorageLocation])
def test_every_value_is_documented(enum: type[StrEnum]) -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [member.value for member in enum if f"`{member.value}`" not in text]
    assert not missing, f"docs/policy.md does not mention {missing}"


def test_every_builtin_profile_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert all(f"`{name}`" in text for name in builtin_profiles())
