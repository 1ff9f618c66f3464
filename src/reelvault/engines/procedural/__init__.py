"""The ``procedural`` engine: text to a stylised animated scene, on the CPU, no weights.

``scene`` turns the prompt into a :class:`~.scene.Scene` with the words of ``vocabulary``
and the subjects of ``catalogue`` (a row of data per kind: its family's body, colours,
proportions and features), and reports which words it drew and which it could not
(:func:`~.scene.prompt_words`); ``lighting``, ``sky`` and ``landscape`` build what does
not move (once per video); ``movement`` moves the subjects, ``subjects`` sizes them and
hands each to its painter in ``drawings`` (``drawings.families`` for catalogue kinds);
``render`` composes frames.
"""

from reelvault.engines.procedural.engine import ProceduralEngine, ProceduralParams

__all__ = ["ProceduralEngine", "ProceduralParams"]
