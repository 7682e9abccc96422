"""Gunicorn settings shared by scripts/start and the browser tests: `gunicorn -c config/gunicorn.py`.

After Django is loaded, the objects that live as long as the process (modules, settings, URL
patterns, templates, the ORM's model metadata: ~125k objects) are moved out of the garbage
collector's sight with gc.freeze(). Otherwise every full collection walks all of them again,
every ~40 requests, and that collection is the p99 of every list (docs/benchmarks.md).
"""

from __future__ import annotations

import gc
from typing import Any


def _freeze() -> None:
    gc.collect()
    gc.freeze()


def when_ready(server: Any) -> None:
    """The master, before forking (with --preload the app is loaded here): forked workers share
    the frozen pages instead of copying them when the collector touches them."""
    _freeze()


def post_worker_init(worker: Any) -> None:
    """Each worker once it has loaded the app (the default, without --preload)."""
    _freeze()
