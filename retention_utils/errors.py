"""Exception hierarchy of the kit.

Every error a user can cause (a broken export, a typo in params) is a
:class:`RetentionError` whose message says what is wrong, where (file, column or
params key), how many rows, a few examples, and how to fix it. The command line
prints the message without a traceback.
"""
from __future__ import annotations

from collections.abc import Iterable

__all__ = ["RetentionError", "DataError", "ConfigError", "examples_text"]


class RetentionError(Exception):
    """Base class of every user-facing error of the kit."""


class DataError(RetentionError):
    """An input file breaks the data contract (see ``docs/data-contract.md``)."""


class ConfigError(RetentionError):
    """A params file or command-line option is invalid."""


def examples_text(values: Iterable[object], *, limit: int = 5) -> str:
    """Format at most ``limit`` examples as a short comma-separated list.

    Examples
    --------
    >>> examples_text(["a", "b"])
    "'a', 'b'"
    >>> examples_text(range(8))
    '0, 1, 2, 3, 4, …'
    """
    out = []
    for i, value in enumerate(values):
        if i == limit:
            out.append("…")
            break
        out.append(repr(value) if isinstance(value, str) else str(value))
    return ", ".join(out)
