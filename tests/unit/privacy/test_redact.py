"""Redaction: personal data becomes typed placeholders; ordinary prompts stay as they are."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelvault.privacy.redact import (
    IBAN_LENGTHS,
    PiiKind,
    find_pii,
    iban_is_valid,
    luhn_is_valid,
    redact,
    redact_with_counts,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe+video@example.co.uk now", "mail [EMAIL] now"),
        ("IBAN DE89 3704 0044 0532 0130 00, thanks", "IBAN [IBAN], thanks"),
        ("pay to GB82WEST12345698765432", "pay to [IBAN]"),
        ("fr7630006000011234567890189 lower case", "[IBAN] lower case"),
        ("card 4111 1111 1111 1111 exp 12/27", "card [CARD] exp 12/27"),
        ("order 12 4111-1111-1111-1111", "order 12 [CARD]"),
        ("ssn 123-45-6789", "ssn [NATIONAL_ID]"),
        ("NINO AB 12 34 56 C", "NINO [NATIONAL_ID]"),
        ("DNI 12345678Z and NIE X1234567L", "DNI [NATIONAL_ID] and NIE [NATIONAL_ID]"),
        ("codice RSSMRA85T10A562S", "codice [NATIONAL_ID]"),
        ("from 192.168.1.20. Then", "from [IP]. Then"),
        ("v6 2001:db8::1 or fe80::1%eth0", "v6 [IP] or [IP]"),
        ("call +44 20 7946 0958", "call [PHONE]"),
        ("call +1-202-555-0143 or (202) 555-0143", "call [PHONE] or [PHONE]"),
        ("ruf an: 030 12345678 oder +49 (0)30 1234567", "ruf an: [PHONE] oder [PHONE]"),
        ("appelez 01 23 45 67 89 ou 06.12.34.56.78", "appelez [PHONE] ou [PHONE]"),
        ("llama al 612 34 56 78 o 91 123 45 67", "llama al [PHONE] o [PHONE]"),
        ("UK 020 7946 0958", "UK [PHONE]"),
        ("at 221B Baker Street, London", "at [ADDRESS], London"),
        ("1600 Pennsylvania Avenue NW", "[ADDRESS]"),
        ("meet at 42 main street", "meet at [ADDRESS]"),
        ("Hauptstraße 5 und Berliner Str. 12a", "[ADDRESS] und [ADDRESS]"),
        ("12 rue de la Paix à Paris", "[ADDRESS] à Paris"),
        ("Calle Mayor 10 y Avenida de la Constitución, 15", "[ADDRESS] y [ADDRESS]"),
    ],
)
def test_personal_data_is_replaced_by_typed_placeholders(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a paper boat on a rainy street, 1920x1080, 24 fps, 5 seconds",
        "sizes 640 480 1080 and 720 480 360, version 1.2.3, ratio 16:9",
        "on 2024-01-15 at 12:30:45, or 01.02.2024, frame 0001 to 0240",
        "3 cats on the road, a dog walking 2 miles down the road at dawn",
        "a neon sign reading 4 EVER, seed 123456, temperature 0.7",
    ],
)
def test_ordinary_prompts_with_numbers_are_kept(text: str) -> None:
    assert redact(text) == text


def test_counts_and_spans_never_carry_the_text() -> None:
    result = redact_with_counts("a@b.org and c@d.org, 4111 1111 1111 1111")
    assert result.counts == {PiiKind.EMAIL: 2, PiiKind.CARD: 1}
    assert result.total == 3
    assert "a@b.org" not in repr(find_pii("a@b.org"))


def test_numbers_failing_their_checksum_are_not_taken_for_cards_or_ibans() -> None:
    assert redact("ref 4111 1111 1111 1112") == "ref 4111 1111 1111 1112"
    assert not iban_is_valid("DE89 3704 0044 0532 0130 01")
    assert "DE89370400440532013001" in redact("DE89370400440532013001")


def test_redaction_is_idempotent() -> None:
    once = redact("jane@example.org, +44 20 7946 0958, 4111 1111 1111 1111")
    assert redact(once) == once


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        if luhn_is_valid(body + check):
            return body + check
    raise AssertionError("unreachable")


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    length = draw(st.integers(min_value=13, max_value=19))
    first = draw(st.sampled_from("23456"))
    body = first + draw(st.text("0123456789", min_size=length - 2, max_size=length - 2))
    number = _luhn_complete(body)
    if draw(st.booleans()):
        separator = draw(st.sampled_from([" ", "-"]))
        number = separator.join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(IBAN_LENGTHS)))
    bban = draw(
        st.text(
            "0123456789", min_size=IBAN_LENGTHS[country] - 4, max_size=IBAN_LENGTHS[country] - 4
        )
    )
    numeric = "".join(str(int(char, 36)) for char in bban + country + "00")
    iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    if draw(st.booleans()):
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


@settings(max_examples=300, deadline=None)
@given(card_numbers(), st.sampled_from(["pay with {} today", "{}", "card: {}.", "({})"]))
def test_valid_card_numbers_are_always_redacted(card: str, template: str) -> None:
    out = redact(template.format(card))
    assert "[CARD]" in out
    digits = "".join(char for char in card if char.isdigit())
    assert digits not in "".join(char for char in out if char.isdigit())


@settings(max_examples=300, deadline=None)
@given(ibans(), st.sampled_from(["send it to {} please", "{}", "IBAN: {}."]))
def test_valid_ibans_are_always_redacted(iban: str, template: str) -> None:
    assert iban_is_valid(iban)
    out = redact(template.format(iban))
    assert "[IBAN]" in out
    assert iban.replace(" ", "")[4:] not in out.replace(" ", "")


_PROSE = st.text(
    alphabet=st.characters(
        categories=("Lu", "Ll", "Zs"), include_characters=".,;:!?'\"-()/&", max_codepoint=0x17F
    ),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(_PROSE)
def test_prose_without_digits_is_unchanged(text: str) -> None:
    assert redact(text) == text
