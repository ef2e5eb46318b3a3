"""Keep Python's cyclic garbage collector from rescanning what is known to be acyclic.

``gc_paused``: the collector is paused while a budgets directory is read. ``gc_frozen``: a plan
leaves what is alive when it starts out of the collector's scans (below).

Reading 10,000 files builds hundreds of thousands of small objects (YAML nodes, located
trees, diagnostics) that all stay alive until the model is built, and none of which form a
reference cycle: each node only refers to the nodes under it (the event loop refuses an alias
to an unfinished anchor, so even aliases cannot make a cycle). The collector would scan them
again and again for cycles that are not there, which doubled the time of ``validate``.
Reference counting still frees everything as usual; the collector resumes (if it was running)
as soon as the call returns, and collects whatever cycles other code made in between.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def gc_paused(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` with the cyclic garbage collector paused while it runs."""

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


def gc_frozen(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` with every object alive when it starts left out of the collector's scans.

    A plan runs with the loaded budgets and their model alive (hundreds of thousands of
    objects); each full collection would scan them all again. ``gc.freeze`` sets them aside for
    the call; objects made during it are collected as usual, so a plan over HTTP, whose client
    makes cyclic garbage with every response, does not grow with every request as it would
    with the collector paused. Not for nesting: the inner call's end would unfreeze everything.
    """

    @functools.wraps(function)
    def frozen(*args: P.args, **kwargs: P.kwargs) -> R:
        gc.freeze()
        try:
            return function(*args, **kwargs)
        finally:
            gc.unfreeze()

    return frozen
