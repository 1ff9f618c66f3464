"""The terms a model comes under, and whether pulling it needs them accepted first.

Open-source licences (Apache-2.0, MIT) need nothing more than the notice the model
folder keeps. The others are model licences with conditions of their own: a revenue
threshold, a territory, use restrictions that flow down to whoever is shown the video.
``reelvault models pull`` names them and downloads only once the operator has said
they accept them (``--accept-licence``); the acceptance is recorded in the model's
manifest beside the commit it applies to. An id this table does not know (a user's own
catalogue entry) counts as a licence to read first: the safe default.

The summaries point at what is easy to miss; the licence text at ``url`` is what binds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LicenceTerms:
    id: str
    name: str
    url: str | None
    open_source: bool
    summary: str = ""

    def describe(self) -> str:
        """One line for the terminal: the name, where to read it, what to look for."""
        where = f" ({self.url})" if self.url else ""
        note = f": {self.summary}" if self.summary else ""
        return f"{self.name}{where}{note}"


_KNOWN = (
    LicenceTerms("apache-2.0", "Apache License 2.0", None, open_source=True),
    LicenceTerms("mit", "MIT License", None, open_source=True),
    LicenceTerms(
        "nvidia-open-model-license",
        "NVIDIA Open Model License",
        "https://www.nvidia.com/en-us/agreements/enterprise-software/nvidia-open-model-license/",
        open_source=False,
        summary="commercial use allowed; keep its notice, and its terms end if you "
        "bypass the model's guardrails",
    ),
    LicenceTerms(
        "ltx-video-license",
        "LTX-Video Open Weights License",
        "https://huggingface.co/Lightricks/LTX-Video",
        open_source=False,
        summary="use restrictions apply to the model and what it makes",
    ),
    LicenceTerms(
        "ltx-2-community-license",
        "LTX-2 Community License Agreement",
        "https://github.com/Lightricks/LTX-2/blob/main/LICENSE",
        open_source=False,
        summary="entities with USD 10M or more annual revenue need a commercial licence "
        "from Lightricks; its use restrictions flow down to your users",
    ),
    LicenceTerms(
        "cogvideox-license",
        "CogVideoX License",
        "https://huggingface.co/THUDM/CogVideoX-5b/blob/main/LICENSE",
        open_source=False,
        summary="commercial use needs registration with Zhipu AI",
    ),
    LicenceTerms(
        "skywork-license",
        "Skywork License (SkyReels-V2)",
        # The cards name it `skywork-license`, with the text in each repo's LICENSE.
        "https://huggingface.co/Skywork/SkyReels-V2-DF-1.3B-540P-Diffusers",
        open_source=False,
        summary="read the LICENSE file of the model repository before use",
    ),
    LicenceTerms(
        "tencent-hunyuan-community",
        "Tencent Hunyuan Community License Agreement",
        "https://huggingface.co/tencent/HunyuanVideo-1.5/blob/main/LICENSE",
        open_source=False,
        summary="does not apply in the European Union, the United Kingdom or South Korea; "
        "services with over 100 million monthly active users need a licence from Tencent",
    ),
)
LICENCES: dict[str, LicenceTerms] = {terms.id: terms for terms in _KNOWN}


def licence_terms(licence_id: str) -> LicenceTerms:
    """The terms of ``licence_id``; an unknown id is a licence to read before use."""
    known = LICENCES.get(licence_id)
    if known is not None:
        return known
    return LicenceTerms(
        licence_id, f"the licence {licence_id!r}", None, open_source=False, summary=""
    )


def needs_acceptance(licence_id: str) -> bool:
    """Whether pulling a model under ``licence_id`` waits for the operator's yes."""
    return not licence_terms(licence_id).open_source


__all__ = ["LICENCES", "LicenceTerms", "licence_terms", "needs_acceptance"]
