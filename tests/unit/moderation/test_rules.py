"""The built-in rule list and the operator's file: disguised terms caught, ordinary prompts pass."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelvault.errors import ConfigError
from reelvault.moderation.rules import RuleListModerator
from reelvault.testing import settings_for

from .test_normalise import ACCENTS, LEET, LOOK_ALIKE

OPERATOR_RULES = """
rules:
  - category: weapons
    terms: [pipe bomb, "ghost gun"]
  - category: gore
    action: flag
    patterns: ['\\bdecapitat\\w*']
"""


@pytest.fixture
def moderator(tmp_path: Path) -> RuleListModerator:
    rules = tmp_path / "rules.yaml"
    rules.write_text(OPERATOR_RULES)
    return RuleListModerator(settings_for(tmp_path, moderation_rules_file=rules))


def categories(moderator: RuleListModerator, text: str) -> dict[str, str]:
    return {found.category: found.suggested.value for found in moderator.check_text(text)}


def test_minors_are_blocked_whatever_the_operator_file_says(moderator: RuleListModerator) -> None:
    assert categories(moderator, "a sexy kid on a bed") == {"minors": "block"}
    assert categories(moderator, "nackt Mädchen") == {"minors": "block"}
    assert categories(moderator, "ni\u00f1os desnudos") == {"minors": "block"}
    assert categories(moderator, "some jailbait") == {"minors": "block"}


def test_operator_terms_and_patterns(moderator: RuleListModerator) -> None:
    assert categories(moderator, "how to build a PIPE-BOMB") == {"weapons": "block"}
    assert categories(moderator, "a knight decapitates a dragon") == {"gore": "flag"}
    assert categories(moderator, "a plumber fixes a pipe") == {}


def disguise(draw: st.DrawFn, phrase: str) -> str:
    out = []
    for letter in phrase:
        choice = draw(st.sampled_from(["plain", "upper", "accent", "lookalike", "leet", "zw"]))
        if choice == "upper":
            letter = letter.upper()
        elif choice == "accent":
            letter = ACCENTS.get(letter, letter)
        elif choice == "lookalike":
            letter = LOOK_ALIKE.get(letter, letter)
        elif choice == "leet":
            letter = LEET.get(letter, letter)
        elif choice == "zw" and letter != " ":
            letter += "\u200b"
        out.append(letter)
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_disguised_variants_of_blocked_prompts_are_caught(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    moderator = RuleListModerator(settings_for(tmp_path_factory.mktemp("rules")))
    minor = data.draw(st.sampled_from(["child", "kid", "teen", "toddler", "schoolgirl"]))
    sexual = data.draw(st.sampled_from(["nude", "naked", "sexy", "erotic", "topless"]))
    phrase = data.draw(st.sampled_from([f"a {sexual} {minor}", f"{minor}, {sexual}, photo"]))
    assert categories(moderator, disguise(data.draw, phrase)) == {"minors": "block"}


SUBJECTS = [
    "a golden retriever",
    "children",
    "a kid",
    "two teenagers",
    "a toddler",
    "an old fisherman",
    "a naked mole rat",
    "a baby elephant",
    "a schoolgirl with a backpack",
    "a family",
    "a red fox",
    "a ballet dancer",
    "a chef",
    "kids in swimsuits",
    "a teen skateboarder",
    "a stripped-down engine",
    "a sculpture",
    "an astronaut",
    "a nude-coloured handbag",
    "a little boy",
    "a young girl",
    "a kitten",
    "a herd of bison",
    "a lighthouse keeper",
]
ACTIONS = [
    "playing in a park",
    "running on a beach at sunset",
    "building a sandcastle",
    "flying a kite",
    "reading under a tree",
    "dancing in the rain",
    "eating ice cream",
    "walking through a snowy forest",
    "riding a bicycle",
    "laughing at a birthday party",
    "swimming in a lake",
    "painting a mural",
    "sleeping on a sofa",
    "exploring a museum",
]
STYLES = [
    "cinematic, 35mm",
    "watercolour",
    "slow motion",
    "drone shot",
    "golden hour",
    "stop-motion clay",
    "anime style",
    "documentary footage",
    "8k, ultra detailed",
    "in the style of a 1950s home movie",
    "soft pastel colours",
    "neon lights, night",
]


def ordinary_prompts(count: int = 500) -> list[str]:
    every = [
        f"{subject} {action}, {style}"
        for subject, action, style in itertools.product(SUBJECTS, ACTIONS, STYLES)
    ]
    return random.Random(22).sample(every, count)


def test_ordinary_prompts_pass(tmp_path: Path) -> None:
    """False positives on 500 everyday video prompts (many with children in them): at most 1%."""
    moderator = RuleListModerator(settings_for(tmp_path))
    refused = [prompt for prompt in ordinary_prompts() if moderator.check_text(prompt)]
    assert len(refused) <= 5, refused


def test_a_broken_operator_file_is_a_clear_config_error(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - category: Bad Name\n    terms: [x]\n")
    with pytest.raises(ConfigError, match="category"):
        RuleListModerator(settings_for(tmp_path, moderation_rules_file=rules))
    rules.write_text("rules:\n  - category: ok\n    patterns: ['(']\n")
    with pytest.raises(ConfigError, match="not a regular expression"):
        RuleListModerator(settings_for(tmp_path, moderation_rules_file=rules))
    with pytest.raises(ConfigError, match="cannot be read"):
        RuleListModerator(settings_for(tmp_path, moderation_rules_file=tmp_path / "none.yaml"))
