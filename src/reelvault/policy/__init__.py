"""Policy as code: the data classes, their purposes, retention, storage and rights.

One policy (a built-in profile or a YAML file) drives what the code keeps and for how long,
and renders the human-readable privacy policy. See docs/policy.md.
"""

from __future__ import annotations

from reelvault.policy.duration import IsoDuration, format_duration, parse_duration
from reelvault.policy.load import builtin_profiles, load_policy, parse_policy
from reelvault.policy.model import (
    ChangelogEntry,
    Controller,
    DataClassRule,
    Policy,
    PolicyOptions,
    PurposeRule,
    Retention,
    RetentionKind,
    RuleViolation,
)
from reelvault.policy.render import render_policy

__all__ = [
    "ChangelogEntry",
    "Controller",
    "DataClassRule",
    "IsoDuration",
    "Policy",
    "PolicyOptions",
    "PurposeRule",
    "Retention",
    "RetentionKind",
    "RuleViolation",
    "builtin_profiles",
    "format_duration",
    "load_policy",
    "parse_duration",
    "parse_policy",
    "render_policy",
]
