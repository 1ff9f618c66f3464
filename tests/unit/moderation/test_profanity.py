"""The optional ``profanity`` prompt classifier (alt-profanity-check, MIT, its model in
its wheel; extra ``reelvault[profanity]``, also in the dev extra so CI runs these).

Offensive prompts, written plainly or disguised, are found; VBench's public prompt suite
passes (at most 1% flagged); through the API a finding is
flagged by default (the job is made, the flag counted) and refused where the operator
says so.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.moderation import Verdict
from reelvault.moderation.profanity import CATEGORY, ProfanityModerator
from reelvault.testing import registry_with_fake, settings_for
from tests.unit.api.conftest import FAKE_JOB

VBENCH = Path(__file__).parents[2] / "data" / "vbench_prompts"
MISSING = ProfanityModerator.unavailable()
if MISSING is not None and os.environ.get("CI"):
    raise RuntimeError(f"CI installs the dev extra, which includes it: {MISSING}")
needs_classifier = pytest.mark.skipif(
    MISSING is not None, reason=f"the optional profanity extra is not installed ({MISSING})"
)
OFFENSIVE = [
    "fuck you and your stupid video",
    "a video calling my neighbour a worthless piece of shit",
    "you dumb bitch",
]
DISGUISED = ["f.u.c.k y0u, 4ssh0le", "sh1t-faced id10t dancing"]


@pytest.fixture(scope="module")
def classifier() -> ProfanityModerator:
    if MISSING is not None:
        pytest.skip(f"the optional profanity extra is not installed ({MISSING})")
    return ProfanityModerator()


def score(classifier: ProfanityModerator, text: str) -> float:
    findings = classifier.check_text(text)
    assert all(f.category == CATEGORY and f.suggested is Verdict.FLAG for f in findings)
    return max((f.score for f in findings), default=0.0)


@pytest.mark.parametrize("prompt", OFFENSIVE)
def test_offensive_prompts_are_found(classifier: ProfanityModerator, prompt: str) -> None:
    assert score(classifier, prompt) >= 0.5


@pytest.mark.parametrize("prompt", DISGUISED)
def test_disguised_words_are_read_as_the_rule_list_reads_them(
    classifier: ProfanityModerator, prompt: str
) -> None:
    assert score(classifier, prompt) >= 0.5


def test_everyday_prompts_pass(classifier: ProfanityModerator) -> None:
    """VBench's 800 prompts (real, public, not written for this): at most 1% flagged.

    Measured: 5 (0.6%): "a squirrel eating nuts", "pork ribs dish" and the like. The
    classifier reads words, not meaning: the rule list's own everyday set, with its
    deliberate near-misses, gets 20 of 500 flagged, every one "a naked mole rat"
    (docs/moderation.md says so); it flags, it does not block, unless told to.
    """
    prompts = [
        line.strip()
        for path in sorted(VBENCH.glob("*.txt"))
        if not path.name.startswith("LICENSE")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(prompts) == 800
    flagged = [p for p in prompts if score(classifier, p) >= 0.5]
    assert len(flagged) <= len(prompts) // 100, flagged


def test_nothing_to_read_is_no_finding(classifier: ProfanityModerator) -> None:
    assert classifier.check_text("   ") == []


@needs_classifier
@pytest.mark.parametrize(("actions", "status"), [({}, 201), ({CATEGORY: "block"}, 400)])
def test_the_api_flags_by_default_and_blocks_when_told(
    tmp_path: Path, actions: dict[str, str], status: int
) -> None:
    from fastapi.testclient import TestClient

    settings = settings_for(tmp_path, moderators=["rules", "profanity"], moderation_actions=actions)
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    try:
        assert "profanity" in [m.name for m in runtime.moderation.moderators]
        with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as api:
            response = api.post("/api/v1/jobs", json={**FAKE_JOB, "prompt": OFFENSIVE[0]})
            assert response.status_code == status, response.text
            if status == 400:
                error = response.json()["error"]
                assert error["code"] == "content_blocked" and CATEGORY in error["message"]
                assert "fuck" not in response.text  # never the words
            ordinary = api.post("/api/v1/jobs", json=FAKE_JOB)
            assert ordinary.status_code == 201
    finally:
        runtime.close()
