from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from reelvault.errors import PolicyError
from reelvault.policy import builtin_profiles, load_policy, parse_policy
from reelvault.types import DataClass

WritePolicy = Callable[..., Path]


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of ``text`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def load_error(path: Path) -> str:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"policy file {path}")
    return message


def test_builtin_profiles() -> None:
    assert builtin_profiles() == ["ephemeral", "library", "standard"]


def test_loads_a_file_by_path_and_by_string(standard_text: str, write_policy: WritePolicy) -> None:
    path = write_policy(standard_text.replace("name: standard", "name: mine"))
    assert load_policy(path).name == "mine"
    assert load_policy(str(path)).name == "mine"
    yml = write_policy(standard_text, name="other.yml")
    assert load_policy(str(yml)) == load_policy("standard")


def test_unknown_profile_lists_builtins() -> None:
    with pytest.raises(PolicyError, match="unknown policy profile 'strict'") as info:
        load_policy("strict")
    for name in ("ephemeral", "standard", "library"):
        assert name in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(tmp_path / "absent.yaml")


def test_bad_duration_names_file_line_and_field(
    standard_text: str, write_policy: WritePolicy
) -> None:
    text = standard_text.replace("retention: P30D", "retention: P30X", 1)
    path = write_policy(text)
    message = load_error(path)
    line = line_of(text, "retention: P30X")
    assert message == (
        f"policy file {path}, line {line}: data_classes.prompt.retention: "
        "invalid ISO 8601 duration 'P30X'"
    )


def test_unknown_field(standard_text: str, write_policy: WritePolicy) -> None:
    text = standard_text.replace(
        "    retention: P30D\n", "    retention: P30D\n    colour: red\n", 1
    )
    path = write_policy(text)
    message = load_error(path)
    assert f"line {line_of(text, 'colour: red')}: " in message
    assert "data_classes.prompt.colour: unknown field" in message


def test_missing_data_class(standard_text: str, write_policy: WritePolicy) -> None:
    start = standard_text.index("  audit_entry:")
    end = standard_text.index("changelog:")
    text = standard_text[:start] + standard_text[end:]
    path = write_policy(text)
    message = load_error(path)
    assert f"line {line_of(text, 'data_classes:')}: " in message
    assert "data_classes: no rule for data class audit_entry" in message


def test_unknown_data_class(standard_text: str, write_policy: WritePolicy) -> None:
    text = standard_text.replace("  prompt:\n", "  prompts:\n", 1)
    path = write_policy(text)
    message = load_error(path)
    assert f"line {line_of(text, 'prompts:')}: data_classes.prompts: " in message


def test_yaml_syntax_error(standard_text: str, write_policy: WritePolicy) -> None:
    text = standard_text.replace("minimum_age: 13", "minimum_age: [13", 1)
    path = write_policy(text)
    message = load_error(path)
    assert "YAML error" in message
    match = re.search(r"line (\d+)", message)
    assert match is not None
    # PyYAML reports where it noticed the unclosed flow sequence: on or after that line.
    assert int(match.group(1)) >= line_of(text, "minimum_age: [13")


def test_tab_indentation_is_a_located_yaml_error(write_policy: WritePolicy) -> None:
    path = write_policy("name: x\ntitle: y\n\tversion: '1'\n")
    assert ", line 3: YAML error" in load_error(path)


def test_duplicate_key(standard_text: str, write_policy: WritePolicy) -> None:
    text = standard_text.replace(
        "    retention: P30D\n", "    retention: P30D\n    retention: P1Y\n", 1
    )
    path = write_policy(text)
    message = load_error(path)
    assert f"line {line_of(text, 'retention: P1Y')}: " in message
    assert "data_classes.prompt.retention: duplicate key" in message


def test_python_tags_are_refused(write_policy: WritePolicy) -> None:
    path = write_policy("name: !!python/object/apply:os.system ['echo hi']\n")
    assert "line 1: YAML error" in load_error(path)


def test_rule_violation_points_at_the_field(standard_text: str, write_policy: WritePolicy) -> None:
    marker = "        legal_basis: consent\n        description: >-\n          Only if you"
    assert marker in standard_text
    text = standard_text.replace(marker, marker.replace("consent", "legitimate_interests", 1), 1)
    path = write_policy(text)
    message = load_error(path)
    assert "data_classes.upload.purposes.2.legal_basis: third_party_processing" in message
    found = re.search(r", line (\d+): ", message)
    assert found is not None
    reported = text.splitlines()[int(found.group(1)) - 1]
    assert reported.strip() == "legal_basis: legitimate_interests"


def test_unquoted_version_gets_a_hint(standard_text: str, write_policy: WritePolicy) -> None:
    text = standard_text.replace('version: "1.0"', "version: 1.0", 1)
    path = write_policy(text)
    message = load_error(path)
    assert f"line {line_of(text, 'version: 1.0')}: version: " in message
    assert "quotes" in message


def test_bad_date_is_located(standard_text: str, write_policy: WritePolicy) -> None:
    text = standard_text.replace("effective_date: 2026-01-01", "effective_date: 2026-13-01", 1)
    path = write_policy(text)
    assert f"line {line_of(text, 'effective_date')}: effective_date: " in load_error(path)


def test_missing_required_field(standard_text: str, write_policy: WritePolicy) -> None:
    text = standard_text.replace("    encrypted: true\n", "", 1)
    path = write_policy(text)
    message = load_error(path)
    assert f"line {line_of(text, '  prompt:')}: " in message
    assert "data_classes.prompt.encrypted: required field is missing" in message


def test_empty_file(write_policy: WritePolicy) -> None:
    assert "empty" in load_error(write_policy("# nothing\n"))


def test_parse_policy_from_text(standard_text: str) -> None:
    policy = parse_policy(standard_text, source="inline")
    assert set(policy.data_classes) == set(DataClass)
    with pytest.raises(PolicyError, match=r"^policy file inline, line 2: name: duplicate key$"):
        parse_policy("name: a\nname: b\n", source="inline")
