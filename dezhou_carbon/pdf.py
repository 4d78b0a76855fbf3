"""What every PDF the product renders with WeasyPrint shares: a URL fetcher that serves only
data: URIs (a report needs nothing from disk or the network) and a safe CSS string for
margin boxes. One home, so an app's report does not import another app's renderer."""

from __future__ import annotations

from django.utils.safestring import mark_safe


def data_uri_only_fetcher():
    """A WeasyPrint URL fetcher that serves data: URIs (up to 1 MB) and refuses
    everything else: the report needs nothing from disk or the network."""
    from weasyprint.urls import URLFetcher

    class DataOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith("data:") or len(url) > 1_000_000:
                raise ValueError(f"refused: {url[:60]}")
            return super().fetch(url, headers)

    return DataOnly(allowed_protocols=["data"], allow_redirects=False)


def css_string(text: str) -> str:
    """A CSS string literal for `content:` (margin boxes): every character other than
    letters, digits and spaces as a hex escape, so nothing can end the string or the
    style element. Safe to insert unescaped."""
    escaped = "".join(
        char if char.isalnum() or char == " " else f"\\{ord(char):x} " for char in text
    )
    return mark_safe(f'"{escaped}"')  # every special character is escaped above
