"""The built-in prompt moderator: terms and regular expressions per category, offline.

Rules come from the built-in list (``default_rules.yaml``: the rules that protect minors,
which cannot be switched off) plus the operator's file (setting
``moderation_rules_file``), in the same form::

    rules:
      - category: violence          # a-z, 0-9, _
        action: block               # or flag (default block)
        terms: ["behead", "gore"]   # whole words; plural s/es matches too
        patterns: ['\\bkill(ing)? (him|her|them)\\b']  # on the normalised text
        with_any: []                # if given: one of these must appear as well

A rule matches when one of its terms or patterns does (and one of ``with_any``, if any).
Text and terms are normalised alike (:mod:`reelvault.moderation.normalise`), so case,
accents, look-alike letters, invisible characters, leetspeak, spaced and repeated
letters do not get around a rule. A finding names the category only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from reelvault.config import Settings
from reelvault.errors import ConfigError
from reelvault.moderation.base import Finding, ModeratorBase, Verdict
from reelvault.moderation.normalise import normalise, views

Category = str


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    action: Literal["flag", "block"] = "block"
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    with_any: tuple[str, ...] = ()


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[Rule, ...] = ()


_NO_SPACES = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
"""Scripts written without spaces between words (CJK): their terms match anywhere."""


def _term_regex(terms: Sequence[str]) -> re.Pattern[str] | None:
    parts = []
    for term in terms:
        folded = normalise(term)
        if not folded:
            continue
        if _NO_SPACES.search(folded):
            parts.append(re.escape(folded))
        else:
            parts.append(r"(?<!\w)" + re.escape(folded) + r"(?:e?s)?(?!\w)")
    return re.compile("|".join(parts)) if parts else None


class CompiledRule:
    def __init__(self, rule: Rule, where: str) -> None:
        self.category = rule.category
        self.verdict = Verdict(rule.action)
        try:
            patterns = [re.compile(pattern) for pattern in rule.patterns]
        except re.error as exc:
            raise ConfigError(f"{where}: a pattern is not a regular expression ({exc})") from None
        self.patterns = patterns
        self.terms = _term_regex(rule.terms)
        self.with_any = _term_regex(rule.with_any)
        if self.terms is None and not self.patterns:
            raise ConfigError(f"{where}: a rule needs terms or patterns")

    def matches(self, forms: Sequence[str]) -> bool:
        hit = any(
            (self.terms is not None and self.terms.search(form))
            or any(pattern.search(form) for pattern in self.patterns)
            for form in forms
        )
        if not hit:
            return False
        return self.with_any is None or any(self.with_any.search(form) for form in forms)


def parse_rules(text: str, where: str) -> list[CompiledRule]:
    try:
        data = yaml.safe_load(text) or {}
        parsed = RuleFile.model_validate(data)
    except yaml.YAMLError:
        raise ConfigError(f"{where} is not valid YAML") from None
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{where}: {location}: {first['msg']}") from None
    return [CompiledRule(rule, f"{where} rule {index}") for index, rule in enumerate(parsed.rules)]


@functools.cache
def builtin_rules() -> tuple[CompiledRule, ...]:
    text = resources.files("reelvault.moderation").joinpath("default_rules.yaml").read_text()
    return tuple(parse_rules(text, "the built-in rule list"))


def load_rules(path: Path | None) -> list[CompiledRule]:
    """The built-in rules, then the operator's (``path``)."""
    rules = list(builtin_rules())
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"moderation_rules_file {path} cannot be read ({type(exc).__name__})",
                param="moderation_rules_file",
            ) from None
        rules += parse_rules(text, f"moderation_rules_file {path}")
    return rules


class RuleListModerator(ModeratorBase):
    """Terms and regular expressions per category, after normalisation; offline."""

    name: ClassVar[str] = "rules"
    description: ClassVar[str] = (
        "Built-in rule list: operator-editable terms and regular expressions per category, "
        "matched after Unicode, look-alike and leetspeak normalisation. Keeps nothing."
    )
    checks_text: ClassVar[bool] = True
    wants_settings: ClassVar[bool] = True

    def __init__(self, settings: Settings) -> None:
        self.rules = load_rules(settings.moderation_rules_file)

    def check_text(self, text: str) -> Sequence[Finding]:
        forms = views(text)
        found: dict[Category, Verdict] = {}
        for rule in self.rules:
            if rule.matches(forms):
                earlier = found.get(rule.category)
                if earlier is None or rule.verdict.severity > earlier.severity:
                    found[rule.category] = rule.verdict
        return [Finding(category, 1.0, verdict) for category, verdict in found.items()]


__all__ = ["Rule", "RuleFile", "RuleListModerator", "builtin_rules", "load_rules", "parse_rules"]
