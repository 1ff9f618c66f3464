"""Text normalisation for rule matching: what a person reads, not the bytes they typed.

Rule lists are easy to get around by writing a word another way: capitals, accents,
look-alike letters from another script (Cyrillic ``\u0430`` for Latin ``a``), characters of
no width between letters, digits and symbols for letters (``n00d``), spaced or dotted
letters (``n.u.d.e``), repeated letters (``nuuude``). :func:`views` folds all of these
and gives the forms a rule is matched against; the same folding is applied to the
rules' own terms, so a rule written plainly catches every such variant.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that draw nothing but split words for a matcher: zero-width space, joiners,
# marks, the word joiner, invisible operators, the BOM, the soft hyphen, the Mongolian
# vowel separator, the combining grapheme joiner. Every other "Cf" character goes too.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f"
)

# Letters of other scripts that look like Latin ones (a subset of Unicode's confusables
# for the Latin alphabet: Cyrillic, Greek and a few IPA and Latin-extension letters).
_CONFUSABLES = str.maketrans(
    (
        "\u0430\u0431\u0432\u0441\u0501\u0435\u0451\u0261\u04bb\u043d\u0456\u0457"
        "\u04cf\u0458\u043a\u043c\u043f\u043e\u0440\u051b\u0433\u0455\u0442\u0443"
        "\u04af\u0445\u051d\u044c\u0437\u03b1\u03b2\u03f2\u03b5\u03b7\u03b9\u03ba"
        "\u03bc\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7\u03c9\u03c2\u0131\u0237\u0251"
        "\u0269\u028f\u0274\u0280\u1d0b\u00f8\u00f0\u0142"
    ),
    ("abbcdeeghhiiljkmnopqrstyyxwb3abcenikuvoptuxwsijaiynrkodl"),
)
_LIGATURES = str.maketrans({"\u00df": "ss", "\u00e6": "ae", "\u0153": "oe", "\u00fe": "th"})

# Digits and symbols written for letters ("leetspeak").
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "2": "z",
        "3": "e",
        "4": "a",
        "5": "s",
        "6": "g",
        "7": "t",
        "8": "b",
        "9": "g",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "+": "t",
        "€": "e",
        "£": "l",
        "¢": "c",
    }
)

_SEPARATORS = re.compile(r"[\W_]+")
_RUNS = re.compile(r"(\w)\1{2,}")
# Letters spelled out one by one: ``n.u.d.e`` (a punctuation separator, two letters or
# more), ``n u d e`` (spaces, three letters or more; a second form leaves out a leading
# "a" or "i", which may be the word before: "a s e x y").
_SPELLED_PUNCT = re.compile(r"(?<!\w)\w(?P<sep>[^\w\s]{1,2})\w(?:(?P=sep)\w)*(?!\w)")
_SPELLED_SPACES = re.compile(r"(?<!\w)\w(?P<sep>\s{1,2})\w(?:(?P=sep)\w)+(?!\w)")
_SPELLED_AFTER_ARTICLE = re.compile(r"(?<!\w)(?![ai]\s)\w(?P<sep>\s{1,2})\w(?:(?P=sep)\w)+(?!\w)")
_NOT_WORD = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """Compatibility forms, no invisible characters, case folded, no accents, look-alike
    letters of other scripts as Latin ones."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        char for char in text if char not in _INVISIBLE and unicodedata.category(char) != "Cf"
    )
    text = text.casefold()
    text = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    return unicodedata.normalize("NFC", text).translate(_CONFUSABLES).translate(_LIGATURES)


def words(text: str) -> str:
    """Words separated by single spaces: every run of punctuation and spacing is one space."""
    return _SEPARATORS.sub(" ", text).strip()


def normalise(text: str) -> str:
    """The canonical form of ``text``: folded (:func:`fold`), digits and symbols read as
    letters, runs of punctuation and spacing as one space."""
    return words(fold(text).translate(_LEET))


def views(text: str) -> tuple[str, ...]:
    """Every form of ``text`` a rule is matched against.

    * folded, digits kept (``12 years old``);
    * :func:`normalise`'d (``n00d`` -> ``nood``... and ``s3x`` -> ``sex``);
    * the same with runs of three or more of a letter as one (``nuuude`` -> ``nude``);
    * the same with letters spelled out one by one joined (``n u d e``, ``n.u.d.e`` -> ``nude``).
    """
    folded = fold(text)
    plain = words(folded)
    canonical = normalise(text)
    squeezed = _RUNS.sub(r"\1", canonical)
    leet = _SPELLED_PUNCT.sub(_join, folded.translate(_LEET))
    joined = [_RUNS.sub(r"\1", words(pattern.sub(_join, leet))) for pattern in _SPELLED]
    seen: dict[str, None] = dict.fromkeys((plain, canonical, squeezed, *joined))
    return tuple(seen)


_SPELLED = (_SPELLED_SPACES, _SPELLED_AFTER_ARTICLE)


def _join(match: re.Match[str]) -> str:
    return _NOT_WORD.sub("", match[0])


__all__ = ["fold", "normalise", "views", "words"]
