"""docs/architecture.md is true to the code: every module, function and path it names exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
CODE_SPANS = re.findall(r"`([^`\n]+)`", DOC.read_text())
PATHS = sorted({span for span in CODE_SPANS if re.match(r"^(src|docs|tests)/", span)})
NAMES = sorted(
    {span for span in CODE_SPANS if re.fullmatch(r"reelvault(\.\w+)+(:\w+(\.\w+)*)?", span)}
)


def test_the_page_names_enough_to_check() -> None:
    assert len(PATHS) > 30 and len(NAMES) > 15


@pytest.mark.parametrize("path", PATHS)
def test_every_path_exists(path: str) -> None:
    assert (ROOT / path).exists(), f"docs/architecture.md names {path}, which does not exist"


@pytest.mark.parametrize("name", NAMES)
def test_every_module_and_function_exists(name: str) -> None:
    module_name, _, attribute = name.partition(":")
    module = importlib.import_module(module_name)
    target: object = module
    for part in filter(None, attribute.split(".")):
        assert hasattr(target, part), f"docs/architecture.md names {name}: no {part}"
        target = getattr(target, part)
