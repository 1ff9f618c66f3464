"""README's table of built-in models, generated from the catalogue's model cards.

The figures a self-hoster chooses by (memory, length, licence, whether a number is the
model card's or ours) live in ``models.yaml``; the README shows them between two marker
comments. ``python -m reelvault.engines.diffusers.cards`` (``make models-table``)
rewrites that block; ``--check`` only says whether it is stale. A unit test compares the
two, so an edit of ``models.yaml`` without the regenerated table fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reelvault.engines.diffusers.catalogue import (
    AUDIO_FAMILIES,
    ModelSpec,
    VideoMode,
    VramSource,
    builtin_catalogue,
)
from reelvault.engines.diffusers.licences import licence_terms
from reelvault.errors import ConfigError
from reelvault.types import Task

BEGIN = (
    "<!-- models table: generated from models.yaml by "
    "python -m reelvault.engines.diffusers.cards -->"
)
END = "<!-- end of models table -->"

HEADER = (
    "| built-in id | tasks | size, length | GPU memory (about) | memory figure | licence |\n"
    "|---|---|---|---|---|---|\n"
)
TASK_WORDS: dict[Task, str] = {
    Task.TEXT_TO_VIDEO: "text→video",
    Task.IMAGE_TO_VIDEO: "image→video",
    Task.DANCE: "dance",
}
MODE_WORDS: dict[VideoMode, str] = {
    "remix": "video remix",
    "edit": "video edits",
    "extension": "long videos, extension",
}
SOURCE_WORDS: dict[VramSource, str] = {
    "card": "the model card's",
    "derived": "derived from the card's figure",
    "estimate": "our estimate",
}


def figure_source(spec: ModelSpec) -> str:
    """Whose number ``vram_gb`` is, in words; a user entry without a card says so."""
    card = spec.card
    if card is None:
        return "no card"
    words = SOURCE_WORDS[card.vram_gb_source]
    if card.vram_gb_source == "derived" and card.card_vram_gb is not None:
        offload = " with offload" if card.card_vram_offload else ""
        words = f"derived from the card's {card.card_vram_gb:g} GB{offload}"
    return words


def _tasks(spec: ModelSpec) -> str:
    words = [TASK_WORDS.get(task, task.value) for task in spec.pipelines]
    words += [MODE_WORDS[mode] for mode in spec.video_pipelines]
    if Task.IMAGE_TO_VIDEO in spec.pipelines and "extension" not in spec.video_pipelines:
        words.append("extension from the last frame")
    if spec.family in AUDIO_FAMILIES:
        words.append("with sound")
    return ", ".join(words)


def _length(spec: ModelSpec) -> str:
    fps = "/".join(str(value) for value in spec.fps)
    seconds = round(spec.default_frames / spec.default_fps, 1)
    text = f"{spec.default_frames} frames at {fps} fps ({seconds:g} s)"
    if spec.max_frames > spec.default_frames:
        longest = round(spec.max_frames / spec.default_fps, 1)
        text += f", up to {spec.max_frames} ({longest:g} s)"
    others = len(spec.sizes) - 1
    more = f" (+{others} size{'s' if others > 1 else ''})" if others else ""
    return f"{spec.default_size}{more}, {text}"


def table_row(spec: ModelSpec) -> str:
    """One model's row; its id links to the card the figures were read from."""
    name = f"`{spec.id}`"
    if spec.card is not None:
        name = f"[{name}]({spec.card.url})"
    cells = (
        name,
        _tasks(spec),
        _length(spec),
        f"{spec.vram_gb:g} GB",
        figure_source(spec),
        licence_terms(spec.licence).name,
    )
    return "| " + " | ".join(cells) + " |\n"


def readme_table(specs: tuple[ModelSpec, ...] | None = None) -> str:
    """The Markdown table of the built-in models, one row each, in catalogue order."""
    rows = builtin_catalogue() if specs is None else specs
    return HEADER + "".join(table_row(spec) for spec in rows)


def readme_block() -> str:
    """The table with its marker comments: what README.md holds between them."""
    return f"{BEGIN}\n\n{readme_table()}\n{END}"


def current_block(text: str) -> str:
    """The generated block of ``text`` (README.md), markers included."""
    start = text.find(BEGIN)
    end = text.find(END, start + 1)
    if start < 0 or end < 0:
        raise ConfigError(f"README.md has no block between {BEGIN!r} and {END!r}")
    return text[start : end + len(END)]


def rewrite(text: str) -> str:
    """``text`` with its generated block replaced by the catalogue's table."""
    return text.replace(current_block(text), readme_block(), 1)


def main(argv: list[str]) -> int:
    """Rewrite README.md (the first argument, default ./README.md) or, with --check,
    exit 1 when its table is not the catalogue's."""
    check = "--check" in argv
    paths = [arg for arg in argv if arg != "--check"]
    readme = Path(paths[0] if paths else "README.md")
    text = readme.read_text("utf-8")
    updated = rewrite(text)
    if check:
        stale = updated != text
        if stale:
            print(f"{readme}: the models table is stale; run `make models-table`")
        return 1 if stale else 0
    if updated != text:
        readme.write_text(updated, "utf-8")
        print(f"{readme}: models table rewritten")
    return 0


__all__ = ["BEGIN", "END", "figure_source", "readme_block", "readme_table", "rewrite"]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
