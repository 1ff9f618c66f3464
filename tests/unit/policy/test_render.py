from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reelvault.policy import Policy, load_policy, render_policy
from reelvault.policy.render import DATA_CLASS_TEXT, LEGAL_BASIS_TEXT, PURPOSE_TEXT
from reelvault.types import DataClass, LegalBasis

FORMATS = ("markdown", "html", "json")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_data_class_and_its_retention_is_rendered(profile: Policy, fmt: str) -> None:
    text = render_policy(profile, fmt)  # type: ignore[arg-type]
    assert profile.version_hash in text
    for dc in DataClass:
        assert dc.value in text
        assert profile.rule(dc).retention.describe() in text


@pytest.mark.parametrize("fmt", ("markdown", "html"))
def test_human_formats_say_what_why_and_rights(profile: Policy, fmt: str) -> None:
    text = render_policy(profile, fmt)  # type: ignore[arg-type]
    for dc in DataClass:
        assert DATA_CLASS_TEXT[dc] in text
    assert "consent (GDPR art. 6(1)(a))" in text
    assert "performance of a contract (GDPR art. 6(1)(b))" in text
    assert f"within {profile.options.request_response_days} days" in text
    assert f"children under {profile.minimum_age}" in text
    assert "processing by a third-party AI provider) we ask whether you are" in text
    assert "explicitly opt in" in text
    assert profile.effective_date.isoformat() in text
    for entry in profile.changelog:
        assert entry.summary in text


GDPR_ARTICLE_6 = {
    LegalBasis.CONSENT: "6(1)(a)",
    LegalBasis.CONTRACT: "6(1)(b)",
    LegalBasis.LEGAL_OBLIGATION: "6(1)(c)",
    LegalBasis.VITAL_INTERESTS: "6(1)(d)",
    LegalBasis.PUBLIC_TASK: "6(1)(e)",
    LegalBasis.LEGITIMATE_INTERESTS: "6(1)(f)",
}


def _section(text: str, dc: DataClass, fmt: str) -> str:
    """The part of the rendered policy about one data class."""
    if fmt == "html":
        start = text.index(f'<section id="{dc.value}">')
        return text[start : text.index("</section>", start)]
    start = text.index(f"\n### {DATA_CLASS_TEXT[dc]} ({dc.value})\n")
    ends = [i for i in (text.find("\n### ", start + 1), text.find("\n## ", start + 1)) if i > 0]
    return text[start : min(ends, default=len(text))]


@pytest.mark.parametrize("fmt", ("markdown", "html"))
def test_each_purpose_states_its_legal_basis_where_its_data_is_described(
    profile: Policy, fmt: str
) -> None:
    text = render_policy(profile, fmt)  # type: ignore[arg-type]
    stated: set[LegalBasis] = set()
    for dc, rule in profile.data_classes.items():
        section = _section(text, dc, fmt)
        assert section.count("legal basis:") == len(rule.purposes), dc
        for item in rule.purposes:
            basis = LEGAL_BASIS_TEXT[item.legal_basis]
            assert f"(GDPR art. {GDPR_ARTICLE_6[item.legal_basis]})" in basis
            line = f"{PURPOSE_TEXT[item.purpose]}, legal basis: {basis}."
            assert line[:1].upper() + line[1:] in section, (dc, item.purpose)
            stated.add(item.legal_basis)
    # The bases the Dance Generator's policy relies on are each named where they apply.
    assert {LegalBasis.CONTRACT, LegalBasis.LEGITIMATE_INTERESTS, LegalBasis.CONSENT} <= stated


def test_markdown_has_a_table() -> None:
    text = render_policy(load_policy("ephemeral"), "markdown")
    assert text.startswith("# Privacy policy (ephemeral profile)\n")
    assert "| Prompts (prompt) | not kept after the job ends |" in text
    assert "| Generated videos (output) | 1 hour |" in text


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _hostile_policy(standard_text: str, write_policy: Callable[..., Path]) -> Policy:
    text = standard_text.replace(
        "      The text you type to describe the video you want.",
        "      <script>alert('x')</script> The text & \"quotes\" | pipes.",
        1,
    ).replace('name: "[Operator name]"', 'name: "<img src=x onerror=alert(1)>"', 1)
    return load_policy(write_policy(text))


def test_html_is_standalone_and_escapes_everything(
    standard_text: str, write_policy: Callable[..., Path]
) -> None:
    policy = _hostile_policy(standard_text, write_policy)
    page = render_policy(policy, "html")
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&amp; &quot;quotes&quot;" in page
    collector = _Collector()
    collector.feed(page)
    assert "script" not in collector.tags and "img" not in collector.tags
    assert not {"link", "iframe", "object", "embed"} & set(collector.tags)
    for name, value in collector.attrs:
        assert name not in ("src", "href") and not name.startswith("on"), (name, value)
    assert "<script>alert('x')</script>" in "".join(collector.text)  # shown, not run


def test_markdown_neutralises_html_and_table_breaks(
    standard_text: str, write_policy: Callable[..., Path]
) -> None:
    text = render_policy(_hostile_policy(standard_text, write_policy), "markdown")
    assert "<script" not in text and "<img" not in text
    assert "pipes." in text and "\\| pipes." in text


def test_json_is_stable_and_round_trips(profile: Policy) -> None:
    text = render_policy(profile, "json")
    assert text == render_policy(load_policy(profile.name), "json")
    data = json.loads(text)
    assert data["version_hash"] == profile.version_hash
    assert list(data) == sorted(data)
    rebuilt = Policy.from_public_dict(data)
    assert rebuilt == profile
    assert rebuilt.version_hash == profile.version_hash


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown policy format"):
        render_policy(load_policy("ephemeral"), "pdf")  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_the_page_says_when_a_pseudonym_and_its_choices_go(profile: Policy, fmt: str) -> None:
    page = render_policy(profile, fmt)
    assert "random ID of your session or API key" in page
    assert "deleted 1 day after nothing we hold needs them" in page
