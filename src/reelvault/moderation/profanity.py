"""The optional offensive-language classifier for prompts (``reelvault[profanity]``).

``alt-profanity-check`` 1.9.1 (MIT) ships its trained model inside its wheel
(``profanity_check/data/model.joblib`` and ``vectorizer.joblib``: a linear SVM over
word n-grams, trained on about 200,000 labelled English comments) and loads it from the
package folder when imported: nothing is downloaded, at install or at first use. It runs
on scikit-learn (BSD-3-Clause). English only; a rule list still covers other languages.

Each prompt is classified in its normalised form (leetspeak, accents and invisible
characters undone, as the rule list reads it) and as written; the higher probability is
the ``profanity`` finding's score. The suggested action is to flag (count, let through):
swearing in a prompt is not abuse in itself. An operator who wants it refused sets
``moderation_actions = {profanity = "block"}``; the threshold is the category's
(``moderation_thresholds``, default 0.5). Nothing is kept or logged.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Sequence
from typing import Any, ClassVar

from reelvault.errors import ConfigError
from reelvault.moderation.base import Finding, ModeratorBase, Verdict
from reelvault.moderation.normalise import normalise

CATEGORY = "profanity"
EXTRA = "profanity"
INSTALL_HINT = f'pip install "reelvault[{EXTRA}]" (alt-profanity-check, MIT, on scikit-learn)'


class ProfanityModerator(ModeratorBase):
    """Offensive language in prompts, by alt-profanity-check's bundled classifier."""

    name: ClassVar[str] = "profanity"
    description: ClassVar[str] = (
        "Offensive-language classifier (alt-profanity-check 1.9.1's bundled linear SVM, "
        "English): looks at prompts; flags by default. Keeps nothing."
    )
    licence: ClassVar[str] = (
        "MIT (alt-profanity-check 1.9.1, its model in the wheel; scikit-learn BSD-3-Clause); "
        "optional extra reelvault[profanity]"
    )
    checks_text: ClassVar[bool] = True
    _lock = threading.Lock()  # scikit-learn's transform is not documented as thread-safe

    @classmethod
    def unavailable(cls) -> str | None:
        if importlib.util.find_spec("profanity_check") is None:
            return f"alt-profanity-check not installed: {INSTALL_HINT}"
        return None

    def __init__(self) -> None:
        reason = self.unavailable()
        if reason is not None:
            raise ConfigError(f"the profanity moderator cannot run: {reason}", param="moderators")
        # Importing loads the bundled model from the package folder (joblib files).
        self.classifier: Any = importlib.import_module("profanity_check")

    def check_text(self, text: str) -> Sequence[Finding]:
        if not text.strip():
            return []
        forms = list(dict.fromkeys([normalise(text), text]))
        with self._lock:
            scores = [float(p) for p in self.classifier.predict_prob(forms)]
        return [Finding(CATEGORY, max(scores), Verdict.FLAG)]


__all__ = ["CATEGORY", "INSTALL_HINT", "ProfanityModerator"]
