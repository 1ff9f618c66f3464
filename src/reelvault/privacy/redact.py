"""Redaction: personal data in free text replaced by typed placeholders such as ``[EMAIL]``.

Pure functions over strings, pattern recognisers only (no model, nothing downloaded).
Where a pattern has a checksum it is checked (cards: Luhn; IBANs: country length and
mod 97; Spanish DNI/NIE letters; French NIR keys), so numbers that merely look alike are
kept. Recognisers run in a fixed order and a later one never touches text an earlier
one claimed, so an IBAN is never half-redacted as a phone number.

Redaction errs on the side of removing: a long number that happens to pass the Luhn
check is redacted as a card. Placeholders contain no digits, so redacting twice changes
nothing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class PiiKind(StrEnum):
    EMAIL = "email"
    IBAN = "iban"
    CARD = "card"
    NATIONAL_ID = "national_id"
    IP = "ip"
    PHONE = "phone"
    ADDRESS = "address"

    @property
    def placeholder(self) -> str:
        return f"[{self.value.upper()}]"


@dataclass(frozen=True)
class Span:
    """Where a recogniser found something; deliberately without the text it found."""

    kind: PiiKind
    start: int
    end: int


@dataclass(frozen=True)
class Redacted:
    text: str
    counts: dict[PiiKind, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


Finder = Callable[[str], Iterator[tuple[int, int]]]

# -- e-mail ---------------------------------------------------------------------------------

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@" + _LABEL + r"(?:\." + _LABEL + r")+"
)


def _emails(text: str) -> Iterator[tuple[int, int]]:
    for match in _EMAIL.finditer(text):
        yield match.span()


# -- IBAN -----------------------------------------------------------------------------------

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})\d{2}(?:[ -]?[A-Za-z0-9]){11,30}")


def iban_is_valid(candidate: str) -> bool:
    """Country length and the ISO 13616 mod-97 check (spaces ignored, any case)."""
    compact = re.sub(r"[ -]", "", candidate).upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _ibans(text: str) -> Iterator[tuple[int, int]]:
    for match in _IBAN.finditer(text):
        length = IBAN_LENGTHS.get(match.group(1).upper())
        if length is None:
            continue
        # The match may run into following words: cut it at the country's length.
        seen = 0
        for index in range(match.start(), match.end()):
            if text[index].isalnum():
                seen += 1
                if seen == length:
                    end = index + 1
                    break
        else:
            continue
        if end < len(text) and text[end].isalnum():
            continue  # part of a longer token
        if iban_is_valid(text[match.start() : end]):
            yield match.start(), end


# -- payment cards --------------------------------------------------------------------------

_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){11,22}(?![\w-])")


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _cards(text: str) -> Iterator[tuple[int, int]]:
    for match in _CARD.finditer(text):
        # Try the whole run of digit groups, then sub-runs ("order 12 4111 1111 ...").
        groups = [(m.start() + match.start(), m.end() + match.start())
                  for m in re.finditer(r"\d+", match.group())]  # fmt: skip
        found = False
        for first in range(len(groups)):
            for last in range(len(groups) - 1, first - 1, -1):
                start, end = groups[first][0], groups[last][1]
                digits = re.sub(r"\D", "", text[start:end])
                if 13 <= len(digits) <= 19 and luhn_is_valid(digits):
                    yield start, end
                    found = True
                    break
            if found:
                break


# -- national ids ---------------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])")
_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])"
)
_DNI = re.compile(r"(?<![\w-])(\d{8})-?([A-Za-z])(?![\w-])")
_NIE = re.compile(r"(?<![\w-])([XYZxyz])-?(\d{7})-?([A-Za-z])(?![\w-])")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NIR = re.compile(
    r"(?<![\w-])([12]) ?(\d{2}) ?(\d{2}) ?(\d{2}|2[AB]) ?(\d{3}) ?(\d{3}) ?(\d{2})(?![\w-])"
)
_CODICE_FISCALE = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z](?![A-Za-z0-9])"
)


def _national_ids(text: str) -> Iterator[tuple[int, int]]:
    for pattern in (_SSN, _NINO, _CODICE_FISCALE):
        for match in pattern.finditer(text):
            yield match.span()
    for match in _DNI.finditer(text):
        if _DNI_LETTERS[int(match.group(1)) % 23] == match.group(2).upper():
            yield match.span()
    for match in _NIE.finditer(text):
        number = "XYZ".index(match.group(1).upper()) * 10_000_000 + int(match.group(2))
        if _DNI_LETTERS[number % 23] == match.group(3).upper():
            yield match.span()
    for match in _NIR.finditer(text):
        body = "".join(match.groups()[:6])
        # Corsica: 2A and 2B count as 19 and 18 for the key.
        numeric = int(body.replace("2A", "19").replace("2B", "18"))
        if 97 - numeric % 97 == int(match.group(7)):
            yield match.span()


# -- IP addresses ---------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?!\.?\d)(?!\w)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})"
    r"(?:%[\w.]+)?(?![\w:])"
)


def _ips(text: str) -> Iterator[tuple[int, int]]:
    for match in _IPV4.finditer(text):
        yield match.span()
    for match in _IPV6.finditer(text):
        candidate = match.group().split("%", 1)[0]
        if not any(char.isdigit() for char in candidate):
            continue  # "dead::beef" is an address, but prose like it is likelier
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue  # times (12:30:45) and other colon runs
        yield match.span()


# -- phone numbers --------------------------------------------------------------------------

_PHONE_PATTERNS = (
    # International: +CC or 00CC, then groups (a "(0)" trunk hint allowed).
    (re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ .\-/]?\(?\d{1,5}\)?){1,7}(?!\w)"), 8, 15),
    # North America: (202) 555-0143, 202-555-0143, 202.555.0143 (spaces alone are too
    # common in lists of numbers such as video sizes to be taken for a phone number).
    (re.compile(r"(?<![\w+(])(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[.-])\d{3}[.-]\d{4}(?!\w)"), 10, 11),
    # National numbers with a trunk 0 (UK, DE, FR, IT, NL...): 020 7946 0958, 030 1234567.
    (re.compile(r"(?<![\w+(])(?:\(0\d{1,4}\)|0\d{1,4})(?:[ .\-/]?\d{2,8}){1,4}(?!\w)"), 10, 12),
    # Spain: 612 34 56 78, 91 123 45 67.
    (re.compile(r"(?<![\w+])(?:[6-9]\d{2}(?: \d{2}){3}|[89]\d \d{3} \d{2} \d{2})(?!\w)"), 9, 9),
)


def _phones(text: str) -> Iterator[tuple[int, int]]:
    for pattern, fewest, most in _PHONE_PATTERNS:
        for match in pattern.finditer(text):
            digits = sum(char.isdigit() for char in match.group())
            if fewest <= digits <= most:
                yield match.span()


# -- street addresses -----------------------------------------------------------------------

_EN_STREET = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|"
    r"Terrace|Way|Close|Crescent|Square|Sq|Parkway|Highway|Hwy)\b\.?"
)
_DE_SUFFIX = r"(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee)"
_ADDRESS_PATTERNS = (
    # English: 221B Baker Street, 1600 Pennsylvania Avenue NW, 42 main street.
    re.compile(
        r"(?<![\w-])\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][\w'-]*\s+){1,3}"
        + _EN_STREET
        + r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?"
    ),
    re.compile(
        r"(?<![\w-])\d{1,5}\s+[a-z]+\s+(?:street|avenue|road|lane|drive|boulevard)\b",
        re.IGNORECASE,
    ),
    # German: Hauptstraße 5, Berliner Str. 12a, Am Kupfergraben 6 is too vague to match.
    re.compile(
        r"(?<![\w-])(?:[A-ZÄÖÜ][\wäöüß-]*\s+)?(?:[A-ZÄÖÜ][\wäöüß-]*"
        + _DE_SUFFIX
        + r"|Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Ring|Damm)\s*\d{1,4}\s?[a-zA-Z]?(?!\w)"
    ),
    # French: 12 rue de la Paix, 8 bis, avenue des Champs-Élysées.
    re.compile(
        r"(?<![\w-])\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|"
        r"chemin|allée|impasse|quai|route|cours)\s+(?:(?:de|du|des|la|le|l'|d')\s*)*"
        r"[A-ZÉÈÀÂÎÔ][\w'-]*(?:\s+[A-ZÉÈÀÂÎÔ][\w'-]*)*"
    ),
    # Spanish: Calle Mayor 10, Avenida de la Constitución, 15, C/ Gran Vía nº 28.
    re.compile(
        r"(?<![\w-])(?:Calle|C/|Avenida|Avda\.?|Av\.|Plaza|Pza\.|Paseo|Camino|Carrera|Ronda|"
        r"Travesía)\s*(?:(?:de|del|la|las|los|el)\s+)*[A-ZÁÉÍÓÚÑ][\wáéíóúñ-]*"
        r"(?:\s+(?:(?:de|del|la|las|los|el)\s+)*[A-ZÁÉÍÓÚÑ][\wáéíóúñ-]*)*,?\s*"
        r"(?:n[º°o.]\s*)?\d{1,4}(?!\w)"
    ),
)


def _addresses(text: str) -> Iterator[tuple[int, int]]:
    for pattern in _ADDRESS_PATTERNS:
        for match in pattern.finditer(text):
            yield match.span()


# -- putting it together --------------------------------------------------------------------

#: Order matters: earlier recognisers claim text first.
RECOGNISERS: tuple[tuple[PiiKind, Finder], ...] = (
    (PiiKind.EMAIL, _emails),
    (PiiKind.IBAN, _ibans),
    (PiiKind.CARD, _cards),
    (PiiKind.NATIONAL_ID, _national_ids),
    (PiiKind.IP, _ips),
    (PiiKind.PHONE, _phones),
    (PiiKind.ADDRESS, _addresses),
)


def find_pii(text: str) -> list[Span]:
    """Non-overlapping spans of personal data, in text order."""
    taken: list[Span] = []
    for kind, finder in RECOGNISERS:
        for start, end in finder(text):
            if any(start < span.end and span.start < end for span in taken):
                continue
            taken.append(Span(kind, start, end))
    return sorted(taken, key=lambda span: span.start)


def redact_with_counts(text: str) -> Redacted:
    """The text with each finding replaced by its placeholder, and counts per kind."""
    spans = find_pii(text)
    parts: list[str] = []
    counts: dict[PiiKind, int] = {}
    position = 0
    for span in spans:
        parts.append(text[position : span.start])
        parts.append(span.kind.placeholder)
        counts[span.kind] = counts.get(span.kind, 0) + 1
        position = span.end
    parts.append(text[position:])
    return Redacted("".join(parts), counts)


def redact(text: str) -> str:
    """``"mail me at a@b.org"`` → ``"mail me at [EMAIL]"``."""
    return redact_with_counts(text).text


def contains_pii(text: str) -> bool:
    return bool(find_pii(text))


__all__ = [
    "IBAN_LENGTHS",
    "RECOGNISERS",
    "PiiKind",
    "Redacted",
    "Span",
    "contains_pii",
    "find_pii",
    "iban_is_valid",
    "luhn_is_valid",
    "redact",
    "redact_with_counts",
]
