"""Cached page data of the dashboards, keyed by the results generation (and, for pages that
show more than results, the page generation).

Every key includes `indicators.cache.results_generation()`, which a recompute bumps after it
commits: nothing stale survives a recompute and no expiry needs guessing. Pages that also
show submission states, rounds, warnings or work items are cached with `page_cached`, whose
key adds `indicators.cache.page_generation()`, bumped by the services that change those. The cache is an
accelerator only. When it is down (Redis unreachable) the value is built and returned
as if nothing were cached, and the page still works.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from dezhou_carbon.i18n import page_language
from indicators.cache import page_generation, results_generation

logger = logging.getLogger(__name__)
T = TypeVar("T")

# A week: entries of an old generation are never read again and simply age out.
TIMEOUT_SECONDS = 7 * 24 * 3600


def generation_key(*parts: object) -> str:
    """`dashboards:<generation>:<part>:<part>…` for the current results generation."""
    return ":".join(["dashboards", str(results_generation()), *(str(part) for part in parts)])


def cached(parts: tuple, build: Callable[[], T]) -> T:
    """The value cached under `parts` (plus the results generation), or `build()` stored
    there. A failing cache (read or write) falls back to `build()`."""
    key = generation_key(*parts)
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("cache unavailable while reading %s", key, exc_info=True)
        return build()
    if value is not None:
        return value
    value = build()
    try:
        cache.set(key, value, timeout=TIMEOUT_SECONDS)
    except Exception:
        logger.warning("cache unavailable while writing %s", key, exc_info=True)
    return value


def page_cached(parts: tuple, build: Callable[[], str]) -> str:
    """A whole page cached under `parts`, the results generation and the page generation."""
    return cached(("page", page_generation(), *parts), build)


def reader_page(
    request, name: str, build: Callable[[], HttpResponse], *parts: object
) -> HttpResponse:
    """A page that carries its reader's forms (CSRF tokens, what the reader may decide),
    cached as rendered HTML per session, user, role, unit, language and day (what is
    overdue changes at midnight) under the results and page generations: a reader who
    comes back before anything changed gets the page without rebuilding it. Built afresh,
    and not kept, while one-time messages wait to be shown (they must not be kept in the
    page) or when there is no session yet."""
    from django.contrib.messages import get_messages

    session_key = request.session.session_key
    if session_key is None or len(get_messages(request)):
        return build()
    user = request.user
    key = (
        name,
        session_key,
        user.pk,
        getattr(user, "role", "-"),
        getattr(user, "department_id", None) or "-",
        page_language(),
        timezone.localdate().isoformat(),
        *parts,
    )
    return HttpResponse(page_cached(key, lambda: build().content.decode()))
