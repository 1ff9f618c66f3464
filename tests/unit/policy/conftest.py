from __future__ import annotations

from pathlib import Path

import pytest

from reelvault.policy import load_policy

PROFILES_DIR = Path(__file__).resolve().parents[3] / "src" / "reelvault" / "policy" / "profiles"


@pytest.fixture
def standard_text() -> str:
    """The standard profile's YAML, as a starting point for custom policy files."""
    return (PROFILES_DIR / "standard.yaml").read_text(encoding="utf-8")


@pytest.fixture
def write_policy(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(text: str, name: str = "policy.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session", params=["ephemeral", "standard", "library"])
def profile(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return load_policy(request.param)
