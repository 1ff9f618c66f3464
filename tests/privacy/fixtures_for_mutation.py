"""Small functions the mutation plugin's own test switches off and on again."""

from __future__ import annotations

from collections.abc import Callable


def double(value: int) -> int:
    return value * 2


def echo_text(text: str) -> str:
    return text


class Filter:
    def clean(self, text: str) -> str:
        return text.replace(" ", "")


def _outer() -> Callable[[], int]:
    three = 3

    def closed_over() -> int:
        return three

    return closed_over


closed_over = _outer()


def make_closure() -> Callable[[], int | None]:
    # A caller that looked the function up through the module before the mutation.
    from tests.privacy import fixtures_for_mutation

    return lambda: fixtures_for_mutation.closed_over()
