"""The normaliser folds the ways a word can be disguised back to the word (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reelvault.moderation.normalise import normalise, views

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
LOOK_ALIKE = {
    "a": "\u0430",
    "e": "\u0435",
    "o": "\u043e",
    "p": "\u0440",
    "c": "\u0441",
    "x": "\u0445",
    "y": "\u0443",
    "i": "\u0456",
}
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
ACCENTS = {"a": "\u00e1", "e": "\u00e9", "i": "\u00ef", "o": "\u00f4", "u": "\u00fc", "n": "\u00f1"}
WORDS = ["forbidden", "contraband", "smuggling", "pedo", "nude", "explosive"]


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str]:
    """A word and a disguise of it: per letter, case, accent, look-alike, leetspeak, and
    invisible characters or one-character separators between letters."""
    word = draw(st.sampled_from(WORDS))
    separator = draw(st.sampled_from(["", "", ".", "-", " ", "*"]))
    letters = []
    for letter in word:
        form = draw(st.sampled_from(["plain", "upper", "accent", "lookalike", "leet", "wide"]))
        if form == "upper":
            letter = letter.upper()
        elif form == "accent":
            letter = ACCENTS.get(letter, letter)
        elif form == "lookalike":
            letter = LOOK_ALIKE.get(letter, letter)
        elif form == "leet":
            letter = LEET.get(letter, letter)
        elif form == "wide":
            letter = chr(ord(letter) - ord("a") + 0xFF41)  # fullwidth, folded by NFKC
        if draw(st.booleans()):
            letter += draw(st.sampled_from(ZERO_WIDTH))
        letters.append(letter)
    return word, separator.join(letters)


@settings(max_examples=400, deadline=None)
@given(disguised())
def test_every_disguise_folds_back_to_the_word(case: tuple[str, str]) -> None:
    word, text = case
    assert word in views(f"a {text} here") or any(
        f" {word} " in f" {form} " for form in views(f"a {text} here")
    ), (text, views(text))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_normalising_is_stable_and_never_fails(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert "  " not in once and once == once.strip()
    for form in views(text):
        assert "\u200b" not in form and "\ufeff" not in form


def test_repeated_letters_and_spelled_out_words() -> None:
    assert "nude" in views("nuuuuude")
    assert "nude" in views("n.u.d.e")
    assert "sexy kid" in views("s e x y kid")
    assert "kid nude" in views("K\u200bI\u200bD n\u00fade")
