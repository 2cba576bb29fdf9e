"""Parts of error messages about files: short reprs and capped lists, so that a hostile or
damaged file can never produce an error message of its own size."""

_ITEMS_SHOWN = 10
"""How many problems an error message lists before it counts the rest."""


def shorten(text, limit=200):
    """``text`` cut to ``limit`` characters, with an ellipsis where it was cut."""
    text = str(text)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def short_repr(value, limit=60):
    """``repr(value)`` cut to ``limit`` characters (a value read from a file may be huge)."""
    return shorten(repr(value), limit)


def listed(problems):
    """The problems as indented lines: the first ten, then how many more there are."""
    problems = list(problems)
    lines = [f"\n  {shorten(problem)}" for problem in problems[:_ITEMS_SHOWN]]
    if len(problems) > _ITEMS_SHOWN:
        lines.append(f"\n  ... and {len(problems) - _ITEMS_SHOWN} more")
    return "".join(lines)
