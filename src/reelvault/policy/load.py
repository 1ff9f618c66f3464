"""Load a policy: a built-in profile by name, or a YAML file, with errors that point at a line.

Every problem becomes one :class:`~reelvault.errors.PolicyError` line naming the file, the
line and the field, for example::

    policy file /etc/reelvault/policy.yaml, line 12: data_classes.prompt.retention: invalid
    ISO 8601 duration 'P30X'

YAML is read with PyYAML's safe loader (no Python tags), with two changes: duplicate keys
are refused (YAML would silently keep the last one), and dates stay text for pydantic to
parse, so a bad date is reported like any other field.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic
import yaml
from pydantic_core import ErrorDetails

from reelvault.errors import PolicyError
from reelvault.policy.model import Policy, RuleViolation

PathPart = str | int
LineMap = dict[tuple[PathPart, ...], int]

_PROFILE_PACKAGE = "reelvault.policy"
_PROFILE_DIR = "profiles"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _PolicyLoader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps (pydantic parses dates, with a located error)."""


_PolicyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped with reelvault, sorted."""
    folder = resources.files(_PROFILE_PACKAGE).joinpath(_PROFILE_DIR)
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.is_file() and entry.name.endswith(".yaml")
    )


def load_policy(spec: str | Path) -> Policy:
    """Load a built-in profile (``ephemeral``, ``standard``, ``library``) or a YAML file.

    A string that is not a built-in name is read as a path when it looks like one (it has a
    directory part or a ``.yaml``/``.yml`` suffix, or the file exists); otherwise it is an
    unknown profile name. Raises :class:`PolicyError` on any problem.
    """
    profiles = builtin_profiles()
    if isinstance(spec, str) and spec in profiles:
        resource = resources.files(_PROFILE_PACKAGE).joinpath(_PROFILE_DIR, f"{spec}.yaml")
        return parse_policy(resource.read_text(encoding="utf-8"), source=f"{spec}.yaml")
    path = Path(spec)
    looks_like_path = isinstance(spec, Path) or (
        len(path.parts) > 1 or path.suffix in (".yaml", ".yml") or path.exists()
    )
    if not looks_like_path:
        raise PolicyError(
            f"unknown policy profile {str(spec)!r}; built-in profiles: {', '.join(profiles)} "
            "(or give the path of a policy YAML file)",
            param="policy",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"policy file {path} does not exist", param="policy") from None
    except UnicodeDecodeError:
        raise PolicyError(f"policy file {path} is not UTF-8 text", param="policy") from None
    except OSError as exc:
        raise PolicyError(
            f"policy file {path} cannot be read: {exc.strerror}", param="policy"
        ) from None
    return parse_policy(text, source=str(path))


def parse_policy(text: str, *, source: str = "<string>") -> Policy:
    """Parse policy YAML ``text``; ``source`` names the file in error messages."""
    return _parse_policy(text, source)


# The same text gives the same frozen Policy: every runtime a process opens (the tests open
# thousands) parses its profile again otherwise, a tenth of a second of YAML each time.
# Errors are raised again on each call: functools caches only results.
@functools.lru_cache(maxsize=32)
def _parse_policy(text: str, source: str) -> Policy:
    data, lines = _read_yaml(text, source)
    try:
        return Policy.model_validate(data)
    except pydantic.ValidationError as exc:
        raise _located_error(exc, lines, source) from None


def _read_yaml(text: str, source: str) -> tuple[Any, LineMap]:
    loader = _PolicyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PolicyError(f"policy file {source}: the file is empty")
        lines: LineMap = {}
        _walk(node, (), lines, source, set())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise PolicyError(f"policy file {source}{where}: YAML error: {problem}") from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise PolicyError(f"policy file {source}: YAML error: {exc}") from None
    finally:
        loader.dispose()
    return data, lines


def _walk(
    node: yaml.Node, path: tuple[PathPart, ...], lines: LineMap, source: str, seen: set[int]
) -> None:
    """Record the line of every key and list item; refuse duplicate keys."""
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in seen:  # an alias: walked once already, do not expand it again
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in keys:
                dotted = ".".join(str(part) for part in (*path, key))
                raise PolicyError(f"policy file {source}, line {line}: {dotted}: duplicate key")
            keys.add(key)
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), lines, source, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, source, seen)


def _located_error(exc: pydantic.ValidationError, lines: LineMap, source: str) -> PolicyError:
    errors = exc.errors()
    first = errors[0]
    loc, message = _describe(first)
    field = ".".join(str(part) for part in loc) or "policy"
    line = _line_of(loc, lines)
    where = f", line {line}" if line is not None else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return PolicyError(f"policy file {source}{where}: {field}: {message}{more}", param=field)


def _describe(error: ErrorDetails) -> tuple[tuple[PathPart, ...], str]:
    loc = tuple(part for part in error["loc"] if part != "[key]")
    kind = error["type"]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, RuleViolation):
        return (*loc, *cause.path), cause.reason
    if isinstance(cause, Exception):
        return loc, str(cause)
    if kind == "missing":
        return loc, "required field is missing"
    if kind == "extra_forbidden":
        return loc, "unknown field"
    message = error["msg"]
    if kind == "string_type" and isinstance(error.get("input"), int | float):
        message += ' (put quotes around it, e.g. "1.0")'
    return loc, message


def _line_of(loc: tuple[PathPart, ...], lines: LineMap) -> int | None:
    for end in range(len(loc), -1, -1):
        line = lines.get(loc[:end])
        if line is not None:
            return line
    return None


__all__ = ["builtin_profiles", "load_policy", "parse_policy"]
