"""Defaults that protect minors (issue 22, part 6), with no operator configuration.

Prompts that sexualise minors are blocked in every language the built-in rules and the
normaliser handle; the minors category cannot be switched off; nudity is blocked unless
the operator allows adult content, which needs a policy for adults only.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image as PILImage

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.errors import ConfigError
from reelvault.moderation import Finding, ModerationPipeline, ModeratorBase, Verdict
from reelvault.moderation.base import Image
from reelvault.testing import MAGENTA, moderators_with_fake, registry_with_fake, settings_for

DATA = Path(__file__).parents[2] / "data"

# language: (a prompt sexualising a minor, an ordinary prompt with the same minor word)
SEXUALISED = {
    "en": ("a sexy little girl on a bed", "a little girl flying a kite"),
    "fr": ("une fillette nue", "une fillette joue au parc"),
    "de": ("ein nacktes Mädchen, Kind", "ein Kind spielt im Park"),
    "es": ("niños desnudos en la playa", "niños jugando en la playa"),
    "it": ("bambina nuda", "una bambina legge un libro"),
    "pt": ("menina nua", "uma menina corre na praia"),
    "nl": ("naakt meisje", "een meisje fietst door de stad"),
    "ru": ("голая девочка на кровати", "девочка играет в парке"),
    "el": ("γυμνό παιδί", "ένα παιδί παίζει στην παραλία"),
    "zh": ("性感的小女孩", "小女孩在公园里玩"),
    "zh-Hant": ("兒童裸體照片", "兒童在公園裡玩"),
    "ja": ("裸の少女", "少女が裸足で走る"),
    "ko": ("야한 소녀 사진", "소녀가 아이스크림을 먹는다"),
}
STANDALONE = [
    "child porn",
    "детское порно",
    "儿童色情",
    "児童ポルノ",
    "아동포르노",
    "pedopornografia",
]


@pytest.fixture
def defaults(tmp_path: Path) -> ModerationPipeline:
    return ModerationPipeline(settings_for(tmp_path))


@pytest.mark.parametrize("language", sorted(SEXUALISED))
def test_sexualised_minors_are_blocked_in_every_language(
    defaults: ModerationPipeline, language: str
) -> None:
    blocked, ordinary = SEXUALISED[language]
    decision = defaults.assess_text(blocked)
    assert (decision.verdict, decision.categories) == (Verdict.BLOCK, ("minors",)), blocked
    assert defaults.assess_text(ordinary).verdict is Verdict.ALLOW, ordinary


@pytest.mark.parametrize("term", STANDALONE)
def test_unambiguous_terms_are_blocked_on_their_own(
    defaults: ModerationPipeline, term: str
) -> None:
    assert defaults.assess_text(f"{term} video").categories == ("minors",)


def test_disguised_cyrillic_and_fullwidth_forms_are_caught(defaults: ModerationPipeline) -> None:
    for text in (
        "ГОЛАЯ ДЕВОЧКА",
        "голая\u200b девочка",
        "\uff4e\uff55\uff44\uff45 \uff43\uff48\uff49\uff4c\uff44",
        "兒童\u200b色情",
    ):
        assert defaults.assess_text(text).blocked, text


def test_the_minors_category_cannot_be_loosened(tmp_path: Path) -> None:
    for action in ("flag", "allow"):
        with pytest.raises(ConfigError, match="minors category is always blocked"):
            settings_for(tmp_path, moderation_actions={"minors": action})
    with pytest.raises(ConfigError, match="threshold of minors cannot be raised"):
        settings_for(tmp_path, moderation_thresholds={"minors": 0.9})
    stricter = settings_for(tmp_path, moderation_thresholds={"minors": 0.2})
    assert stricter.moderation_thresholds == {"minors": 0.2}


class NudityScore(ModeratorBase):
    """Reports ``nudity`` for a mostly magenta image and suggests only a flag, like a
    lenient plug-in: the defaults must block it all the same."""

    name: ClassVar[str] = "nudity_score"
    checks_images: ClassVar[bool] = True

    def check_image(self, image: Image) -> Sequence[Finding]:
        magenta = (np.abs(image.astype(np.int16) - MAGENTA).max(axis=2) < 48).mean()
        return [Finding("nudity", float(magenta), Verdict.FLAG)] if magenta > 0 else []


def _moderators() -> object:
    registry = moderators_with_fake()
    registry.register(NudityScore)
    return registry


def adults_only_policy(tmp_path: Path, age: int = 18) -> Path:
    text = resources.files("reelvault.policy").joinpath("profiles/standard.yaml").read_text()
    assert "minimum_age: 13" in text
    path = tmp_path / f"adults-{age}.yaml"
    path.write_text(text.replace("minimum_age: 13", f"minimum_age: {age}", 1))
    return path


def test_adult_content_is_refused_unless_the_policy_is_for_adults(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, allow_adult_content=True)
    with pytest.raises(ConfigError, match="minimum_age is 18 or more") as caught:
        open_runtime(settings, registry=registry_with_fake(settings))
    assert caught.value.param == "allow_adult_content"
    for age in (17, 18):
        settings = settings_for(
            tmp_path / str(age),
            allow_adult_content=True,
            policy=str(adults_only_policy(tmp_path, age)),
        )
        if age < 18:
            with pytest.raises(ConfigError, match="admits people from 17"):
                open_runtime(settings, registry=registry_with_fake(settings))
            continue
        open_runtime(settings, registry=registry_with_fake(settings)).close()


def test_nudity_actions_need_adult_content(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs allow_adult_content"):
        settings_for(tmp_path, moderation_actions={"nudity": "flag"})
    settings_for(tmp_path, moderation_actions={"nudity": "block"})


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(np.full((96, 128, 3), colour, dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def app_for(tmp_path: Path) -> Iterator[object]:
    runtimes = []

    def make(**overrides: object) -> TestClient:
        settings = settings_for(
            tmp_path / str(len(runtimes)), moderators=["rules", "nudity_score"], **overrides
        )
        runtime = open_runtime(
            settings,
            registry=registry_with_fake(settings),
            moderators=_moderators(),  # type: ignore[arg-type]
        )
        runtimes.append(runtime)
        return TestClient(create_app(settings, runtime=runtime, worker_mode="thread"))

    yield make
    for runtime in runtimes:
        runtime.close()


@pytest.mark.parametrize("task", ["image_to_video", "dance"])
def test_nudity_on_an_image_input_is_blocked_unless_adult_content_is_allowed(
    app_for: object, tmp_path: Path, task: str
) -> None:
    fields = {"engine": "fake", "size": "64x48", "fps": "8", "seconds": "1", "task": task}
    files = {"image": ("me.png", _png(MAGENTA), "image/png")}
    if task == "dance":
        motion = (DATA / "arms_and_knees_dance.bvh").read_bytes()
        fields.update(engine="puppet", size="128x128", fps="30")
        files["reference_video"] = ("dab.bvh", motion, "application/octet-stream")
    with app_for() as client:  # type: ignore[operator]
        response = client.post("/api/v1/jobs", data=fields, files=files)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["categories"]) == ("content_blocked", ["nudity"])
    adults = {
        "allow_adult_content": True,
        "policy": str(adults_only_policy(tmp_path)),
        "moderation_actions": {"nudity": "flag"},
    }
    with app_for(**adults) as client:  # type: ignore[operator]
        response = client.post("/api/v1/jobs", data=fields, files=files)
        assert response.status_code == 201, response.text
