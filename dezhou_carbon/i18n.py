"""The page's language, in one place: Chinese first, English when the reader asked for it.

Models (bilingual names), views (a service's refusal in the reader's language) and the
period filters all ask here, so "is this page English?" has one answer."""

from __future__ import annotations

from django.utils.translation import get_language

CHINESE = "zh-hans"
ENGLISH = "en"


def page_language() -> str:
    """`en` when the active language is English, else `zh-hans` (also outside a request)."""
    return ENGLISH if (get_language() or CHINESE).startswith("en") else CHINESE


def is_english() -> bool:
    return page_language() == ENGLISH


def localized(zh: str, en: str) -> str:
    """The English text on an English page when there is one; the Chinese otherwise."""
    return en if en and is_english() else zh


def says(error) -> str:
    """A refusal (an ApplicationError, a PeriodError, a validation issue's dict) in the
    page's language, the Chinese when it has no English."""
    if isinstance(error, dict):
        return localized(error.get("message_zh") or "", error.get("message_en") or "")
    return localized(error.message_zh, error.message_en)
