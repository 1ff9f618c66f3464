"""Global options accepted wherever a user types them.

Click only reads ``--data-dir``, ``--policy`` and ``--config`` before the command name
(``reelvault --policy standard serve``), but hands type them after it as often
(``reelvault serve --policy standard``). No command has options of its own with these
names, so moving them in front before click parses is unambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence

# Options of the root callback that take a value; ``--version`` takes none and is eager.
VALUED_GLOBAL_OPTIONS = ("--data-dir", "--policy", "--config")
END_OF_OPTIONS = "--"


def _global_option_of(token: str) -> str | None:
    """The global option ``token`` names, as ``--name`` or ``--name=value``, else None."""
    name = token.split("=", 1)[0]
    return name if name in VALUED_GLOBAL_OPTIONS else None


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """``args`` with every global option (and its value) moved before the command.

    Options already in front stay where they are and keep their order; a global option
    given twice keeps click's rule (the last one wins) because hoisted ones come after
    the ones already in front. Nothing after a ``--`` is touched: it is a value.
    """
    front: list[str] = []
    rest: list[str] = []
    index = 0
    seen_command = False
    while index < len(args):
        token = args[index]
        if token == END_OF_OPTIONS:
            rest.extend(args[index:])
            break
        option = _global_option_of(token)
        if option is not None:
            takes_next = "=" not in token and index + 1 < len(args)
            moved = [token, args[index + 1]] if takes_next else [token]
            front.extend(moved)
            index += len(moved)
            continue
        if not seen_command and not token.startswith("-"):
            seen_command = True
        (rest if seen_command else front).append(token)
        index += 1
    return front + rest


__all__ = ["VALUED_GLOBAL_OPTIONS", "hoist_global_options"]
