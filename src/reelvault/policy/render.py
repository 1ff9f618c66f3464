"""Render a :class:`Policy` as the human-readable privacy policy (Markdown, HTML or JSON).

The text comes from the same data the code enforces, so what users read is what runs. HTML
output is one standalone document: every value escaped, no external resources, no scripts,
and a Content-Security-Policy that forbids both.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Literal

from reelvault.policy.duration import describe_timedelta
from reelvault.policy.model import DataClassRule, Policy
from reelvault.types import DataClass, LegalBasis, Purpose, Right, StorageLocation

Format = Literal["markdown", "html", "json"]

DATA_CLASS_TEXT: dict[DataClass, str] = {
    DataClass.PROMPT: "Prompts",
    DataClass.UPLOAD: "Uploaded images and videos",
    DataClass.OUTPUT: "Generated videos",
    DataClass.JOB_METADATA: "Job details",
    DataClass.USAGE_EVENT: "Usage statistics",
    DataClass.CONTACT: "Contact e-mail",
    DataClass.ACCOUNT: "Account",
    DataClass.BILLING_STATUS: "Subscription status",
    DataClass.CONSENT_RECORD: "Consent records",
    DataClass.DATA_SUBJECT_REQUEST: "Privacy requests",
    DataClass.AUDIT_ENTRY: "Audit log",
    DataClass.ABUSE_REPORT: "Abuse reports",
    DataClass.CHARACTER: "Characters",
}

PURPOSE_TEXT: dict[Purpose, str] = {
    Purpose.SERVICE_DELIVERY: "providing the service",
    Purpose.TROUBLESHOOTING: "troubleshooting",
    Purpose.SECURITY: "security and abuse prevention",
    Purpose.ANALYTICS: "aggregate analytics",
    Purpose.MARKETING: "marketing",
    Purpose.BILLING: "billing",
    Purpose.LEGAL_COMPLIANCE: "legal compliance",
    Purpose.THIRD_PARTY_PROCESSING: "processing by a third-party AI provider",
}

LEGAL_BASIS_TEXT: dict[LegalBasis, str] = {
    LegalBasis.CONSENT: "consent (GDPR art. 6(1)(a))",
    LegalBasis.CONTRACT: "performance of a contract (GDPR art. 6(1)(b))",
    LegalBasis.LEGAL_OBLIGATION: "legal obligation (GDPR art. 6(1)(c))",
    LegalBasis.VITAL_INTERESTS: "vital interests (GDPR art. 6(1)(d))",
    LegalBasis.PUBLIC_TASK: "public task (GDPR art. 6(1)(e))",
    LegalBasis.LEGITIMATE_INTERESTS: "legitimate interests (GDPR art. 6(1)(f))",
}

RIGHT_TEXT: dict[Right, str] = {
    Right.ACCESS: "Access: see the data we hold about you and get a copy (GDPR art. 15).",
    Right.RECTIFY: "Correction: have inaccurate data corrected (GDPR art. 16).",
    Right.ERASE: "Deletion: have your data deleted (GDPR art. 17).",
    Right.RESTRICT: "Restriction: have the processing of your data limited (GDPR art. 18).",
    Right.PORTABILITY: ("Portability: get your data in a machine-readable format (GDPR art. 20)."),
    Right.OBJECT: "Objection: object to processing based on legitimate interests (GDPR art. 21).",
    Right.WITHDRAW_CONSENT: (
        "Withdrawing consent: at any time, as easily as you gave it (GDPR art. 7(3))."
    ),
}

RIGHT_SHORT_TEXT: dict[Right, str] = {
    Right.ACCESS: "access",
    Right.RECTIFY: "correction",
    Right.ERASE: "deletion",
    Right.RESTRICT: "restriction",
    Right.OBJECT: "objection",
    Right.PORTABILITY: "portability",
    Right.WITHDRAW_CONSENT: "withdrawing consent",
}

STORAGE_TEXT: dict[StorageLocation, str] = {
    StorageLocation.MEMORY: "memory only",
    StorageLocation.SCRATCH: "a temporary job folder, removed when the job ends",
    StorageLocation.VAULT: "the encrypted file store",
    StorageLocation.DATABASE: "the database",
    StorageLocation.BROWSER: "your own browser only",
}

TRANSIENT_NOTE = (
    "Pose landmarks, face boxes and segmentation masks are computed in memory or in a job's "
    "temporary folder for one job and never stored, so no biometric identifiers are kept."
)


def render_policy(policy: Policy, fmt: Format) -> str:
    """The privacy policy as a Markdown text, a standalone HTML document, or stable JSON."""
    if fmt == "json":
        return json.dumps(policy.to_public_dict(), indent=2, sort_keys=True, ensure_ascii=False)
    if fmt == "markdown":
        return _Document(policy, _markdown_escape).markdown()
    if fmt == "html":
        return _Document(policy, _html_escape).html()
    raise ValueError(f"unknown policy format {fmt!r}; use markdown, html or json")


def _markdown_escape(text: str) -> str:
    # Entities keep raw HTML inert in any Markdown renderer; "|" would split a table cell.
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|")


def _html_escape(text: str) -> str:
    return html.escape(" ".join(text.split()), quote=True)


def _purpose_line(rule_purpose_text: str, basis: LegalBasis, description: str) -> str:
    text = f"{rule_purpose_text}, legal basis: {LEGAL_BASIS_TEXT[basis]}. {description}"
    return text[:1].upper() + text[1:]


class _Document:
    """The policy's sentences, escaped once, then laid out as Markdown or HTML."""

    def __init__(self, policy: Policy, escape: Callable[[str], str]) -> None:
        self.policy = policy
        self.e = escape

    # -- content shared by both layouts -------------------------------------------------

    def facts(self) -> list[tuple[str, str]]:
        policy, e = self.policy, self.e
        controller = policy.controller
        facts = [
            ("Version", e(policy.version)),
            ("Version hash", e(policy.version_hash)),
            ("Effective date", e(policy.effective_date.isoformat())),
            ("Controller", e(controller.name)),
            ("Privacy contact", e(controller.contact)),
        ]
        if controller.website:
            facts.append(("Website", e(controller.website)))
        return facts

    def summary_rows(self) -> list[tuple[str, str, str, str]]:
        rows = []
        for dc, rule in self.policy.data_classes.items():
            rows.append(
                (
                    self.label(dc),
                    self.e(rule.retention.describe()),
                    self.e("; ".join(STORAGE_TEXT[s] for s in rule.storage)),
                    "yes" if rule.encrypted else "no",
                )
            )
        return rows

    def label(self, dc: DataClass) -> str:
        return f"{self.e(DATA_CLASS_TEXT[dc])} ({self.e(dc.value)})"

    def why(self, rule: DataClassRule) -> list[str]:
        return [
            self.e(_purpose_line(PURPOSE_TEXT[p.purpose], p.legal_basis, p.description))
            for p in rule.purposes
        ]

    def detail(self, rule: DataClassRule) -> list[tuple[str, str]]:
        e = self.e
        rights = ", ".join(RIGHT_SHORT_TEXT[r] for r in rule.rights) or "none"
        return [
            ("How long", e(rule.retention.describe())),
            ("Where", e("; ".join(STORAGE_TEXT[s] for s in rule.storage))),
            ("Encrypted at rest", "yes" if rule.encrypted else "no"),
            ("Your rights", e(rights)),
        ]

    def promises(self) -> list[str]:
        options, e = self.policy.options, self.e
        items = [TRANSIENT_NOTE]
        if options.third_party_providers_require_opt_in:
            items.append(
                "Nothing is sent to a third-party AI provider unless you explicitly opt in for "
                "that provider; by default everything runs on this service."
            )
        else:
            items.append(
                "Some jobs may be processed by third-party AI providers named in the service."
            )
        if options.analytics_opt_out:
            items.append("You can opt out of usage analytics at any time.")
        items.append(
            "Usage statistics are kept only as aggregates; any count covering fewer than "
            f"{options.min_aggregate_count} people is suppressed."
        )
        if options.marketing_opt_in:
            items.append(
                "We send marketing e-mail only if you opt in, and every message has an "
                "unsubscribe link."
            )
        window = options.dance_uploads_troubleshooting_window
        if window is not None:
            items.append(
                "For dance videos, your portrait and reference video may be kept for "
                f"{describe_timedelta(window)} after the job to troubleshoot it, unless you "
                "delete them earlier."
            )
        items.append(
            "The random ID of your session or API key, and the choices recorded with it "
            "(your consent decisions, your age answer, a restriction), are deleted "
            f"{describe_timedelta(options.idle_owner_grace)} after nothing we hold needs them "
            "any more: no job, no open session or key, no pending request, no notify-me signup."
        )
        items.append("We do not sell your personal data.")
        items += self.disclosures()
        return [e(item) for item in items]

    def disclosures(self) -> list[str]:
        """Whom else personal data may reach: the seed policies promise these in words, and
        only the operator can keep them (no code path hands data to anyone), so the policy
        at least states them for every profile."""
        return [
            "We do not share your uploads or personal data with anyone for their own "
            "marketing or for profiling.",
            "We disclose personal data to government or law enforcement agencies only when "
            "legally compelled (for example by a court order), and no more than required.",
            "If this service is merged into or acquired by another organisation, your "
            "information may be transferred to it; it stays bound by this policy, and any "
            "change to the policy is announced as described below.",
        ]

    def rights(self) -> list[str]:
        offered = {right for rule in self.policy.data_classes.values() for right in rule.rights}
        return [self.e(RIGHT_TEXT[right]) for right in Right if right in offered]

    def how_to_use_rights(self) -> str:
        policy = self.policy
        return self.e(
            f"To use these rights, contact {policy.controller.name} at "
            f"{policy.controller.contact}. We answer within "
            f"{policy.options.request_response_days} days. You may also lodge a complaint "
            "with your data protection supervisory authority."
        )

    def children(self) -> str:
        age = self.policy.minimum_age
        return self.e(
            f"This service is not for children under {age}. We do not knowingly collect "
            f"personal data from children under {age}; if you believe a child has given us "
            "personal data, contact us and we will delete it." + self._adults_only(age)
        )

    def _adults_only(self, age: int) -> str:
        reserved = [PURPOSE_TEXT[purpose] for purpose in self.policy.adults_only_purposes]
        if not reserved:
            return ""
        return (
            f" Before anything only adults may agree to ({', '.join(reserved)}) we ask "
            f"whether you are {age} or older; if you say you are younger, we refuse it, "
            "and only we can change that answer."
        )

    def changelog(self) -> list[str]:
        return [
            f"{self.e(entry.date.isoformat())}: {self.e(entry.summary)}"
            for entry in self.policy.changelog
        ]

    # -- Markdown -----------------------------------------------------------------------

    def markdown(self) -> str:
        out = [f"# {self.e(self.policy.title)}", ""]
        out += [f"- **{name}:** {value}" for name, value in self.facts()]
        out += ["", "## What we collect, why, and for how long", ""]
        out += ["| Data | How long | Where | Encrypted at rest |", "|---|---|---|---|"]
        out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in self.summary_rows()]
        for dc, rule in self.policy.data_classes.items():
            out += ["", f"### {self.label(dc)}", "", self.e(rule.description), "", "Why:", ""]
            out += [f"- {line}" for line in self.why(rule)]
            out += [""] + [f"- **{name}:** {value}" for name, value in self.detail(rule)]
        out += ["", "## Our promises", ""] + [f"- {item}" for item in self.promises()]
        out += ["", "## Your rights", ""] + [f"- {item}" for item in self.rights()]
        out += ["", self.how_to_use_rights()]
        out += ["", "## Children", "", self.children()]
        out += ["", "## Changes to this policy", ""]
        out += [f"- {item}" for item in self.changelog()] or ["- No changes yet."]
        return "\n".join(out) + "\n"

    # -- HTML ---------------------------------------------------------------------------

    def html(self) -> str:
        title = self.e(self.policy.title)
        out = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" '
            "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{title}</title>",
            "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
            "padding:0 1rem;line-height:1.5}table{border-collapse:collapse;width:100%}"
            "th,td{border:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}"
            "</style>",
            "</head>",
            "<body>",
            f"<h1>{title}</h1>",
            "<dl>",
        ]
        out += [f"<dt>{name}</dt><dd>{value}</dd>" for name, value in self.facts()]
        out += ["</dl>", "<h2>What we collect, why, and for how long</h2>", "<table>"]
        out += [
            "<thead><tr><th>Data</th><th>How long</th><th>Where</th>"
            "<th>Encrypted at rest</th></tr></thead>",
            "<tbody>",
        ]
        out += [
            f"<tr><td>{a}</td><td>{b}</td><td>{c}</td><td>{d}</td></tr>"
            for a, b, c, d in self.summary_rows()
        ]
        out += ["</tbody>", "</table>"]
        for dc, rule in self.policy.data_classes.items():
            out += [
                f'<section id="{self.e(dc.value)}">',
                f"<h3>{self.label(dc)}</h3>",
                f"<p>{self.e(rule.description)}</p>",
                "<p>Why:</p>",
                _html_list(self.why(rule)),
                "<dl>",
            ]
            out += [f"<dt>{name}</dt><dd>{value}</dd>" for name, value in self.detail(rule)]
            out += ["</dl>", "</section>"]
        out += ["<h2>Our promises</h2>", _html_list(self.promises())]
        out += ["<h2>Your rights</h2>", _html_list(self.rights())]
        out += [f"<p>{self.how_to_use_rights()}</p>"]
        out += ["<h2>Children</h2>", f"<p>{self.children()}</p>"]
        out += [
            "<h2>Changes to this policy</h2>",
            _html_list(self.changelog() or ["No changes yet."]),
        ]
        out += ["</body>", "</html>"]
        return "\n".join(out) + "\n"


def _html_list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


__all__ = [
    "DATA_CLASS_TEXT",
    "LEGAL_BASIS_TEXT",
    "PURPOSE_TEXT",
    "RIGHT_SHORT_TEXT",
    "RIGHT_TEXT",
    "STORAGE_TEXT",
    "render_policy",
]
