"""The results generation: a counter bumped after every recompute commits. Cached page
and chart data are keyed by it, so nothing stale survives a recompute and no TTL guessing
is needed. A cache outage never breaks a page: reads fall back to the database."""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)
GENERATION_KEY = "results:generation"


def results_generation() -> int:
    try:
        return int(cache.get_or_set(GENERATION_KEY, 1, timeout=None))
    except Exception:  # cache down: behave as uncached
        logger.warning("cache unavailable while reading the results generation", exc_info=True)
        return 0


def results_generation_bump() -> None:
    try:
        cache.add(GENERATION_KEY, 1, timeout=None)
        cache.incr(GENERATION_KEY)
    except Exception:
        logger.warning("cache unavailable while bumping the results generation", exc_info=True)
