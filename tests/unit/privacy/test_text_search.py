"""The audit's text search finds a needle wherever it lies, chunk borders included."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reelvault.privacy.text_search import Needles, chunks, search_file, search_stream, search_values

_TEXT = st.text(min_size=1, max_size=40).filter(lambda text: text.strip() != "")


@settings(max_examples=200, deadline=None)
@given(
    before=st.binary(max_size=300),
    after=st.binary(max_size=300),
    text=_TEXT,
    chunk_size=st.integers(min_value=1, max_value=64),
    spelling=st.sampled_from(["utf-8", "json", "json-unicode"]),
)
def test_a_needle_is_found_across_any_chunk_border(
    before: bytes, after: bytes, text: str, chunk_size: int, spelling: str
) -> None:
    stored = {
        "utf-8": text.encode("utf-8", "surrogatepass"),
        "json": json.dumps({"p": text}).encode(),
        "json-unicode": json.dumps({"p": text}, ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        ),
    }[spelling]
    needles = Needles({"planted": text, "absent": "\x00never-stored\x00" + text})
    found = search_stream(io.BytesIO(before + stored + after), needles, chunk_size=chunk_size)
    assert "planted" in found
    assert "absent" not in found or ("\x00never-stored\x00" + text).encode() in before + after


@settings(max_examples=300, deadline=None)
@given(data=st.binary(min_size=1, max_size=500), size=st.integers(1, 50), draw=st.data())
def test_any_slice_of_a_stream_is_found_in_it(data: bytes, size: int, draw: st.DataObject) -> None:
    start = draw.draw(st.integers(0, len(data) - 1))
    end = draw.draw(st.integers(start + 1, min(len(data), start + 40)))
    needles = Needles({"n": data[start:end].decode("latin-1")})
    # Latin-1 text above 0x7f is two bytes in UTF-8: look for the bytes as the text's UTF-8.
    stored = data[:start] + data[start:end].decode("latin-1").encode() + data[end:]
    assert search_stream(io.BytesIO(stored), needles, chunk_size=size) == {"n"}


@given(data=st.binary(max_size=400), size=st.integers(1, 40), overlap=st.integers(0, 30))
def test_chunks_cover_the_stream_in_order(data: bytes, size: int, overlap: int) -> None:
    rebuilt = bytearray()
    for offset, piece in chunks(io.BytesIO(data), overlap=overlap, chunk_size=size):
        assert data[offset : offset + len(piece)] == piece
        rebuilt += piece[len(rebuilt) - offset :]
    assert bytes(rebuilt) == data


def test_files_and_database_values(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"\x00" * 100_000 + "Zyxquorb-Ärger".encode() + b"\x00" * 10)
    needles = Needles({"m1": "Zyxquorb-Ärger", "m2": "not there at all"})
    assert search_file(path, needles, chunk_size=4096) == {"m1"}
    assert search_values(["x", {"k": "Zyxquorb-Ärger"}, b"nope"], needles) == {"m1"}
    assert search_values([None, 3], needles) == set()


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(_TEXT, min_size=1, max_size=30),
    data=st.data(),
)
def test_short_values_and_long_ones_give_what_a_plain_search_gives(
    texts: list[str], data: st.DataObject
) -> None:
    """A value shorter than the number of needles is searched position by position (the
    audit's database values against a thousand prompts): it finds what a plain search
    of every spelling finds, needles inside needles and at either end included."""
    needles = Needles({f"n{index}": text for index, text in enumerate(texts)})
    pieces = data.draw(
        st.lists(
            st.one_of(
                st.binary(max_size=6),
                st.sampled_from(texts).map(lambda text: text.encode("utf-8", "surrogatepass")),
                st.sampled_from(texts).map(lambda text: json.dumps(text)[1:-1].encode()),
            ),
            max_size=6,
        )
    )
    value = b"".join(pieces)
    expected = {
        f"n{index}"
        for index, text in enumerate(texts)
        if any(
            form in value
            for form in (
                text.encode("utf-8", "surrogatepass"),
                json.dumps(text)[1:-1].encode(),
                json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8", "surrogatepass"),
            )
        )
    }
    assert needles.names_in(value) == expected
    skipped = frozenset(sorted(expected)[:1])
    assert needles.names_in(value, skip=skipped) == expected - skipped
