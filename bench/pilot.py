"""Bench of the annual pilot report's exports (issue 20 speed: the .docx and PDF render in a
job, ≤ 30 s for the demo data). Run on a database loaded with `setup_park --demo`:

    DJANGO_DEBUG=1 .venv/bin/python manage.py shell -c "import bench.pilot as b; b.main()"
    DJANGO_DEBUG=1 .venv/bin/python manage.py shell -c "import bench.pilot as b; b.page()"

It builds the 2026 workspace's document as a freeze would (from the records, read-only: it
writes nothing) and times each format and language three times, printing the median and the
worst, the size and whether the bytes are the same each time."""

from __future__ import annotations

import hashlib
import statistics
import time


def main(year: int = 2026, runs: int = 3) -> None:
    from django.utils import timezone

    from pilot import rendering, selectors
    from pilot.models import AnnualReport

    report = AnnualReport.objects.get(year=year)
    started = time.perf_counter()
    document = selectors.pilot_document(report)
    document["frozen_at"] = timezone.localtime().replace(microsecond=0).isoformat()
    print(f"document built in {time.perf_counter() - started:.2f} s")
    for fmt in ("docx", "pdf", "xlsx"):
        for language in ("zh-hans", "en"):
            seconds, digests, size = [], set(), 0
            for _ in range(runs):
                t0 = time.perf_counter()
                content = rendering.render(
                    document, fmt=fmt, language=language, progress=lambda p: None
                )
                seconds.append(time.perf_counter() - t0)
                digests.add(hashlib.sha256(content).hexdigest())
                size = len(content)
            print(
                f"{fmt:5} {language:7} median {statistics.median(seconds):6.2f} s  "
                f"max {max(seconds):6.2f} s  {size / 1024:7.1f} KiB  "
                f"{'same bytes' if len(digests) == 1 else 'BYTES DIFFER'}"
            )


def page(year: int = 2026, runs: int = 20) -> None:
    """The workspace page as the committee opens it (reading the precomputed document)
    beside assembling the live document the page built on every request before: median and
    worst of `runs` requests, and the queries of one."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from pilot import selectors, services
    from pilot.models import AnnualReport

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    report = AnnualReport.objects.get(year=year)
    if report.workspace_content is None:
        services.workspace_build(report_id=report.pk)
    client = Client()
    client.force_login(User.objects.filter(role=User.Role.COMMITTEE).order_by("pk").first())
    url = reverse("pilot:report", kwargs={"year": year})
    assert client.get(url).status_code == 200

    def timed(call) -> list[float]:
        seconds = []
        for _ in range(runs):
            t0 = time.perf_counter()
            call()
            seconds.append(time.perf_counter() - t0)
        return seconds

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    shown = timed(lambda: client.get(url))
    with CaptureQueriesContext(connection) as built:
        selectors.pilot_document(report)
    assembled = timed(lambda: selectors.pilot_document(report))
    for name, seconds, count in (
        ("workspace page (precomputed)", shown, len(queries)),
        ("live document assembly alone", assembled, len(built)),
    ):
        print(
            f"{name:30} median {statistics.median(seconds) * 1000:7.1f} ms  "
            f"max {max(seconds) * 1000:7.1f} ms  {count} queries"
        )
