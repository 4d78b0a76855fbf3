"""Bench of the annual pilot report's exports (issue 20 speed: the .docx and PDF render in a
job, ≤ 30 s for the demo data). Run on a database loaded with `setup_park --demo`:

    DJANGO_DEBUG=1 .venv/bin/python manage.py shell -c "import bench.pilot as b; b.main()"

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
