"""One size grammar for the API, the CLI and the model catalogue."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelvault.errors import ValidationError
from reelvault.media.sizes import parse_size


@pytest.mark.parametrize("text", ["640x360", " 640 X 360 ", "640\u00d7360"])
def test_the_ways_people_write_a_size(text: str) -> None:
    assert parse_size(text) == (640, 360)


@pytest.mark.parametrize("text", ["640", "640x", "x360", "640x360x2", "-640x360", "6\u0664x360"])
def test_anything_else_names_the_parameter(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_size(text)
    assert caught.value.param == "size"


@given(st.integers(0, 99999), st.integers(0, 99999))
def test_every_written_size_reads_back(width: int, height: int) -> None:
    assert parse_size(f"{width}x{height}") == (width, height)


@given(st.text(max_size=20))
def test_no_text_raises_anything_but_a_validation_error(text: str) -> None:
    try:
        width, height = parse_size(text)
    except ValidationError:
        return
    assert width >= 0 and height >= 0
