"""Two generation counters in the cache, so that cached pages never outlive what they show
and no TTL guessing is needed:

- the results generation, bumped after every recompute commits (charts and cards);
- the page generation, bumped after a service commits any other change a cached page
  shows: department-period states (the workflow, imports, upload undo), rounds (opened,
  closed, deadline changed), warnings and work-item progress.

Cached page data are keyed by them. A cache outage never breaks a page: reads fall back
to the database. State changes bump through `page_changed()`, never by timestamps (a
`QuerySet.update()` does not touch `auto_now`)."""

import logging

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)
GENERATION_KEY = "results:generation"
PAGE_GENERATION_KEY = "pages:generation"


def _read(key: str) -> int:
    try:
        return int(cache.get_or_set(key, 1, timeout=None))
    except Exception:  # cache down: behave as uncached
        logger.warning("cache unavailable while reading %s", key, exc_info=True)
        return 0


def _bump(key: str) -> None:
    try:
        cache.add(key, 1, timeout=None)
        cache.incr(key)
    except Exception:
        logger.warning("cache unavailable while bumping %s", key, exc_info=True)


def results_generation() -> int:
    return _read(GENERATION_KEY)


def results_generation_bump() -> None:
    _bump(GENERATION_KEY)


def page_generation() -> int:
    return _read(PAGE_GENERATION_KEY)


def page_generation_bump() -> None:
    _bump(PAGE_GENERATION_KEY)


def page_changed() -> None:
    """Called by a service that changed what a cached page shows, inside its transaction.
    The generation moves now (so nothing built later in this transaction is kept under the
    old one) and again once the transaction commits (so a page built meanwhile from the
    state before the commit is never read again). A rollback leaves only a harmless extra
    bump."""
    page_generation_bump()
    transaction.on_commit(page_generation_bump)
