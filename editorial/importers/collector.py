"""Python's cycle collector paused while an import prepares files and writes new documents.

Those steps make no reference cycles (tests/importers/test_parallel.py checks it): what they
make is freed by reference counting as soon as they are done with it. The collector's passes
over the hundreds of thousands of objects they make meanwhile found nothing, and were 5 % of
an import's CPU time (2,000 files prepared in the importing process: 7.0-7.3 → 6.7-6.8 s;
issue 22). The per-file path runs it (`collector_running`): reversion serialises through
json.dump, whose encoder's nested functions form a cycle per version saved.

The collector is one per process, and imports may run in several threads (a web server's):
its state is decided under a lock from how many callers pause it and how many need it
running, and once nobody does, it is left as it was before the first pause.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # callers inside collector_paused
_running = 0  # callers inside collector_running while it is paused
_was_enabled = True  # the collector's state when the first pause began


def _lock_anew() -> None:
    """In a forked child (the import's second process): a lock another thread held at the
    fork would never be released there."""
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_lock_anew)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off inside, unless a caller needs it running (collector_running)."""
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
        _paused += 1
        _apply()
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused:
                _apply()
            elif _was_enabled:
                gc.enable()


@contextmanager
def collector_running() -> Iterator[None]:
    """The cycle collector on inside where a pause had turned it off (collector_paused)."""
    global _running
    with _lock:
        _running += 1
        if _paused:
            _apply()
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _paused:
                _apply()


def _apply() -> None:
    """Set the collector as the callers inside need it, while one pauses it (lock held)."""
    if not _was_enabled:
        return  # the application had turned it off: left so
    if _running:
        gc.enable()
    else:
        gc.disable()
