"""Model cards as data: every built-in entry says where its figures come from, and
README's table of models is the catalogue's (no diffusers extra needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reelvault.engines.diffusers import cards
from reelvault.engines.diffusers.catalogue import ModelSpec, builtin_catalogue, catalogue
from reelvault.errors import ConfigError
from reelvault.testing import settings_for

README = Path(__file__).parents[3] / "README.md"


@pytest.mark.parametrize("spec", builtin_catalogue(), ids=lambda spec: spec.id)
def test_every_builtin_entry_has_a_card_with_a_url_and_a_source(spec: ModelSpec) -> None:
    assert spec.card is not None, f"{spec.id}: models.yaml entry has no card"
    assert spec.card.url.startswith("https://")
    assert spec.card.vram_gb_source in {"card", "derived", "estimate"}
    if spec.card.vram_gb_source != "estimate":
        # A figure said to be the card's must come with the card's words and revision.
        assert spec.card.figures and spec.card.revision and spec.card.card_vram_gb


def test_the_readme_models_table_is_generated_from_the_catalogue() -> None:
    block = cards.current_block(README.read_text("utf-8"))
    assert block == cards.readme_block(), (
        "README.md's models table differs from models.yaml: run `make models-table`"
    )


def test_the_table_says_whose_memory_figure_it_is_and_the_licence() -> None:
    table = cards.readme_table()
    rows = {line.split("`")[1]: line for line in table.splitlines()[2:]}
    assert set(rows) == {spec.id for spec in builtin_catalogue()}
    assert (
        "| 28 GB | derived from the card's 14 GB with offload |"
        in rows["hunyuanvideo-1.5-480p-t2v"]
    )
    assert "| our estimate |" in rows["sana-video-2b-480p"]
    assert "NVIDIA Open Model License" in rows["sana-video-2b-480p"]
    assert (
        "with sound" in rows["ltx-2-19b"] and "up to 721 (30 s)" in rows["skyreels-v2-df-1.3b-540p"]
    )


def test_an_edited_catalogue_makes_the_readme_stale(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n\n{cards.BEGIN}\nold table\n{cards.END}\n\noutro\n")
    assert cards.main([str(readme), "--check"]) == 1
    assert cards.main([str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("intro\n\n") and text.endswith("\n\noutro\n")
    assert cards.readme_table() in text and cards.main([str(readme), "--check"]) == 0


def test_a_readme_without_the_markers_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no block"):
        cards.rewrite("no table here")


def _user_catalogue(tmp_path: Path, entry: dict[str, object]) -> list[ModelSpec]:
    settings = settings_for(tmp_path)
    settings.resolved_models_dir.mkdir(parents=True, exist_ok=True)
    base = {
        "id": "my-wan",
        "family": "wan",
        "pipelines": {"text_to_video": "WanPipeline"},
        "path": str(tmp_path / "my-wan"),
        "sizes": ["832x480"],
        "default_size": "832x480",
        "max_frames": 81,
        "default_frames": 81,
        "fps": [16],
        "steps": 50,
        "guidance": 5.0,
        "vram_gb": 12,
    }
    text = yaml.safe_dump({"models": [base | entry]})
    (settings.resolved_models_dir / "models.yaml").write_text(text)
    return catalogue(settings)


def test_a_user_entry_may_have_a_card_or_none(tmp_path: Path) -> None:
    assert _user_catalogue(tmp_path, {})[-1].card is None
    card = {"url": "https://example.org/card", "vram_gb_source": "card", "card_vram_gb": 12}
    spec = _user_catalogue(tmp_path, {"card": card})[-1]
    assert spec.card is not None and spec.card.card_vram_gb == 12
    assert cards.figure_source(spec) == "the model card's"


def test_a_card_with_an_unknown_source_is_refused_naming_the_field(tmp_path: Path) -> None:
    card = {"url": "https://example.org/card", "vram_gb_source": "guess"}
    with pytest.raises(ConfigError, match=r"card\.vram_gb_source"):
        _user_catalogue(tmp_path, {"card": card})


def test_a_figure_said_to_be_the_cards_needs_the_cards_number(tmp_path: Path) -> None:
    card = {"url": "https://example.org/card", "vram_gb_source": "card"}
    with pytest.raises(ConfigError, match="needs the card_vram_gb"):
        _user_catalogue(tmp_path, {"card": card})
