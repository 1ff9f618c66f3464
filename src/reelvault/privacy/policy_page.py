"""The public privacy policy as served at ``/privacy`` and ``/privacy.json``.

Rendered on every request from the live policy (so a changed policy file shows at once,
with its version hash, effective date and change log), plus what the policy file cannot
know: the processors, read from the engines this deployment runs (every engine that does
not run locally sends data to its provider), and the international-transfer statement
from the settings (``international_transfers``).
"""

from __future__ import annotations

import html
from typing import Any

from reelvault.policy import render_policy
from reelvault.privacy.age import gate_required
from reelvault.runtime import Runtime
from reelvault.types import DataClass

# What a job run by a third-party provider sends (the remote engine sends exactly this).
SENDS = "your prompt, your negative prompt and any image or video you upload"

DEFAULT_TRANSFERS = (
    "Your data is stored and processed on this service's own servers and is not "
    "transferred to any other country by us."
)
PROCESSOR_TRANSFERS = (
    " If you opt in to a third-party AI provider listed above, the prompt, negative prompt "
    "and files of that job are sent to that provider, which may process them in another "
    "country; this happens only with your explicit, per-provider consent."
)
_CHANGES_HEADING = "<h2>Changes to this policy</h2>"


def processors(runtime: Runtime) -> list[dict[str, Any]]:
    """Each third party this deployment can send data to, named: one entry per provider.

    An engine that reaches several providers (the remote engine: fal.ai, Replicate, a
    ComfyUI server) answers ``processors()`` with the ones configured, so the page names
    fal.ai rather than "remote" and the consent purpose is the one the job gate checks
    (``provider:fal``). Any other engine that does not run locally is its own provider.
    """
    found: list[dict[str, Any]] = []
    for engine in runtime.registry:
        if engine.runs_locally:
            continue
        tasks = sorted(task.value for task in engine.tasks)
        listed = getattr(engine, "processors", None)
        if not callable(listed):
            found.append(
                {
                    "name": engine.name,
                    "title": engine.name,
                    "description": engine.description,
                    "engine": engine.name,
                    "tasks": tasks,
                    "receives": SENDS,
                    "consent_purpose": f"provider:{engine.name}",
                }
            )
            continue
        for item in listed():
            found.append(
                {
                    "name": item["provider"],
                    "title": item["name"],
                    "description": f"{item['role']}. {item['retention']}",
                    "url": item["url"],
                    "engine": engine.name,
                    "tasks": tasks,
                    "receives": SENDS,
                    "consent_purpose": f"provider:{item['provider']}",
                }
            )
    return found


def provider_consent_text(name: str, policy_text: str) -> str:
    """What someone agrees to when allowing provider ``name``: everything a job sends.

    The seed policies promise only that images and videos go to AI providers; a remote
    job sends the prompt and the negative prompt as well, so the consent says so.
    """
    return f"Send {SENDS} to {name}, for the jobs you run with it. {policy_text}".strip()


def transfer_statement(runtime: Runtime) -> str:
    configured = getattr(runtime.settings, "international_transfers", None)
    if isinstance(configured, str) and configured.strip():
        return configured.strip()
    return DEFAULT_TRANSFERS + (PROCESSOR_TRANSFERS if processors(runtime) else "")


def legal_bases(runtime: Runtime) -> list[dict[str, str]]:
    """One row per (data class, purpose): the legal basis the policy names."""
    return [
        {
            "data_class": data_class.value,
            "purpose": rule.purpose.value,
            "legal_basis": rule.legal_basis.value,
        }
        for data_class, data_rule in runtime.policy.data_classes.items()
        for rule in data_rule.purposes
    ]


MODERATION_KEEPS = (
    "Moderators run on this service's own servers and keep nothing: not your text, not "
    "your images, not what they found. A refused request is not stored at all; a refused "
    "video is not kept. Only a report about a video keeps it past its retention, for "
    "review, for at most the abuse-report period above."
)
MODERATION_COUNTS = (
    "The anonymous usage statistics count how many prompts, uploads and generated videos "
    "were flagged or refused each day, per category (such as minors): a number per day "
    "and category, with no name, account, prompt or image in it, kept for the usage "
    "statistics' period above, and not counted for those who opted out of analytics."
)
MODERATION_NOT_COUNTED = (
    "Moderation decisions are not counted: this policy keeps no usage statistics."
)


def moderation(runtime: Runtime) -> dict[str, Any]:
    """Which content moderators run here, what they look at, and what they keep."""
    return {
        "moderators": [
            {
                "name": moderator.name,
                "description": moderator.description,
                "licence": moderator.licence,
                "checks": [
                    what
                    for what, checked in (
                        ("text", moderator.checks_text),
                        ("images", moderator.checks_images),
                    )
                    if checked
                ],
            }
            for moderator in runtime.moderation.moderators
        ],
        "keeps": MODERATION_KEEPS,
        "counted": (
            MODERATION_COUNTS
            if runtime.policy.keeps_beyond_job(DataClass.USAGE_EVENT)
            else MODERATION_NOT_COUNTED
        ),
        "likeness_affirmation": runtime.settings.likeness_affirmation,
    }


def public_policy(runtime: Runtime) -> dict[str, Any]:
    """``/privacy.json``: the policy with its hash, plus processors and transfers."""
    data = runtime.policy.to_public_dict()
    data["legal_bases"] = legal_bases(runtime)
    data["processors"] = processors(runtime)
    data["international_transfers"] = transfer_statement(runtime)
    data["moderation"] = moderation(runtime)
    data["age_gate"] = {
        "minimum_age": runtime.policy.minimum_age,
        "asked": gate_required(runtime.policy),
    }
    data["requests"] = {
        "self_service": "/api/v1/privacy",
        "response_days": runtime.policy.options.request_response_days,
    }
    return data


def _processor_section(runtime: Runtime) -> str:
    items = processors(runtime)
    out = ["<h2>Processors</h2>"]
    if items:
        out.append(
            "<p>These AI providers receive data only for the jobs you explicitly allow them "
            f"to run; for those jobs they receive {html.escape(SENDS)}:</p>"
        )
        out.append(
            "<ul>"
            + "".join(
                f"<li><strong>{html.escape(item['title'])}</strong>"
                + (f" ({html.escape(item['url'])})" if item.get("url") else "")
                + f": {html.escape(item['description'])}</li>"
                for item in items
            )
            + "</ul>"
        )
    else:
        out.append(
            "<p>None: every engine of this deployment runs on its own servers; no AI "
            "provider receives your data.</p>"
        )
    out.append("<h2>International transfers</h2>")
    out.append(f"<p>{html.escape(transfer_statement(runtime))}</p>")
    out.append(_moderation_section(runtime))
    return "\n".join(out) + "\n"


def _moderation_section(runtime: Runtime) -> str:
    info = moderation(runtime)
    items = "".join(
        f"<li><strong>{html.escape(item['name'])}</strong> "
        f"({html.escape(', '.join(item['checks']) or 'nothing')}): "
        f"{html.escape(item['description'])} Licence: {html.escape(item['licence'])}.</li>"
        for item in info["moderators"]
    )
    likeness = (
        "<p>Before a photo showing a face is animated, we ask you to confirm that you are "
        "the person shown or have their permission; we record your answer, not the face.</p>"
        if info["likeness_affirmation"]
        else ""
    )
    return (
        "<h2>Content moderation</h2>\n<p>Prompts, uploads and generated videos are checked "
        f"by:</p>\n<ul>{items}</ul>\n<p>{html.escape(MODERATION_KEEPS)}</p>\n"
        f"<p>{html.escape(info['counted'])}</p>\n{likeness}"
    )


def policy_html(runtime: Runtime) -> str:
    """``/privacy``: the rendered policy with processors and transfers before the change log."""
    page = render_policy(runtime.policy, "html")
    extra = _processor_section(runtime)
    if _CHANGES_HEADING in page:
        return page.replace(_CHANGES_HEADING, extra + _CHANGES_HEADING, 1)
    return page.replace("</body>", extra + "</body>", 1)


__all__ = [
    "DEFAULT_TRANSFERS",
    "SENDS",
    "MODERATION_COUNTS",
    "MODERATION_KEEPS",
    "MODERATION_NOT_COUNTED",
    "legal_bases",
    "moderation",
    "policy_html",
    "processors",
    "provider_consent_text",
    "public_policy",
    "transfer_statement",
]
