"""An engine cannot add a text parameter without saying whether it is free text.

Free text (a negative prompt) is prompt data and is stored encrypted with the prompt; an
id (a model name) is stored with the job's metadata. An undeclared one is refused when
the engine is registered, so it can never reach ``jobs.params`` unnoticed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from pydantic import BaseModel, Field, SecretStr

from reelvault.engines.base import EngineParams, check_text_params, holds_text
from reelvault.engines.registry import BUILTIN_ENGINES, EngineRegistry, _load_reference
from reelvault.errors import EngineError
from reelvault.testing import FakeEngine


class Colour(StrEnum):
    RED = "red"


class Inner(BaseModel):
    label: str


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, True),
        (str | None, True),
        (list[str], True),
        (tuple[str, ...], True),
        (dict[str, int], True),  # keys are text too
        (dict[str, str | int | float | bool], True),
        (Inner, True),
        (Path, True),
        (SecretStr, True),
        (Any, True),
        (int, False),
        (float | None, False),
        (bool, False),
        (datetime, False),
        (Literal["a", "b"], False),
        (Literal["a"] | None, False),
        (Colour, False),
        (list[Colour], False),
    ],
)
def test_holds_text_sees_strings_anywhere_inside_a_type(annotation: Any, expected: bool) -> None:
    assert holds_text(annotation) is expected


def _engine(params: type[EngineParams]) -> type[Any]:
    class Engine(FakeEngine):
        name: ClassVar[str] = "sketchy"
        params_model: ClassVar[type[EngineParams]] = params

    return Engine


class Undeclared(EngineParams):
    style: Literal["flat", "soft"] = "flat"
    caption: str | None = None  # neither free text nor an id


class UndeclaredList(EngineParams):
    keywords: list[str] = Field(default_factory=list)


class UndeclaredKeys(EngineParams):
    weights: dict[str, float] = Field(default_factory=dict)


@pytest.mark.parametrize("params", [Undeclared, UndeclaredList, UndeclaredKeys])
def test_an_engine_with_an_undeclared_text_parameter_is_refused(
    params: type[EngineParams],
) -> None:
    registry = EngineRegistry()
    with pytest.raises(EngineError, match="can hold text; declare it in free_text_fields"):
        registry.register(_engine(params))
    assert registry.names() == []


class Declared(Undeclared):
    free_text_fields: ClassVar[frozenset[str]] = frozenset({"caption"})


class DeclaredId(Undeclared):
    identifier_fields: ClassVar[frozenset[str]] = frozenset({"caption"})


@pytest.mark.parametrize("params", [Declared, DeclaredId])
def test_a_declared_text_parameter_is_accepted(params: type[EngineParams]) -> None:
    registry = EngineRegistry()
    registry.register(_engine(params))
    assert registry.names() == ["sketchy"]


class Misspelt(EngineParams):
    free_text_fields: ClassVar[frozenset[str]] = frozenset({"negativ_prompt"})
    negative_prompt: str | None = None


class Both(EngineParams):
    free_text_fields: ClassVar[frozenset[str]] = frozenset({"negative_prompt"})
    identifier_fields: ClassVar[frozenset[str]] = frozenset({"negative_prompt"})
    negative_prompt: str | None = None


def test_declarations_must_name_real_parameters_and_pick_one_side() -> None:
    with pytest.raises(EngineError, match="do not exist"):
        check_text_params("x", Misspelt)
    with pytest.raises(EngineError, match="both free text and ids"):
        check_text_params("x", Both)


@pytest.mark.parametrize(
    "engine_class",
    [*(_load_reference(reference) for reference in BUILTIN_ENGINES), FakeEngine],
    ids=lambda engine_class: engine_class.name,
)
def test_every_built_in_engine_declares_its_text_parameters(engine_class: type[Any]) -> None:
    model = engine_class.params_model
    check_text_params(engine_class.name, model)
    # Whatever is free text is free text in every engine that has it.
    if "negative_prompt" in model.model_fields:
        assert "negative_prompt" in model.free_text_fields
    if engine_class.name == "remote":
        assert model.free_text_fields == {"negative_prompt", "input"}
