"""Reads of the supervision work on enterprises: an enterprise's plan, visits,
certificates and warnings (the profile's sections, a fixed number of queries however many
rows), the certificate counters with their targets, the benchmarks."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch

from enterprises import work_rules
from enterprises.models import (
    Benchmark,
    CertificateCountTarget,
    Enterprise,
    EnterpriseCertificate,
    Finding,
    Measure,
    MeasureProgress,
    Visit,
)


def enterprise_warnings(enterprise: Enterprise):
    """The warnings whose subject is the enterprise (its overdue measures and its visits'
    findings), newest first: one query."""
    from dashboards.models import EarlyWarning

    return EarlyWarning.objects.filter(dedupe_key__startswith=f"enterprise:{enterprise.code}:")


def plan(enterprise: Enterprise) -> dict:
    """The plan's measures, each with its progress reports (newest first), and the totals:
    two queries."""
    measures = list(
        enterprise.measures.prefetch_related(
            Prefetch(
                "progress",
                queryset=MeasureProgress.objects.select_related("reported_by").order_by(
                    "-period", "-reported_at", "-pk"
                ),
            )
        ).order_by("due_quarter", "pk")
    )
    return {"measures": measures, "totals": work_rules.plan_totals(measures)}


def visits(enterprise: Enterprise) -> list[Visit]:
    """Visits, newest first, with their findings and each finding's warning: two queries."""
    return list(
        enterprise.visits.prefetch_related(
            Prefetch("findings", queryset=Finding.objects.select_related("warning"))
        ).order_by("-visit_date", "-pk")
    )


def open_findings(visits: list[Visit]) -> list[Finding]:
    """The findings of these visits (as `visits` reads them) not yet closed, soonest due
    first: no further query."""
    rows = [
        f
        for visit in visits
        for f in visit.findings.all()
        if f.warning is None or f.warning.state != "closed"
    ]
    return sorted(rows, key=lambda f: (f.due_date, f.pk))


def finding(enterprise: Enterprise, pk: int) -> Finding | None:
    """One finding of the enterprise's visits with its warning, its progress reports and
    evidence files (None if it is not this enterprise's): four queries."""
    from dashboards.models import WarningEvidence, WarningProgress

    row = (
        Finding.objects.filter(pk=pk, visit__enterprise=enterprise)
        .select_related("visit", "warning")
        .first()
    )
    if row is None or row.warning is None:
        return row
    row.progress_reports = list(
        WarningProgress.objects.filter(warning=row.warning)
        .select_related("reported_by", "evidence")
        .order_by("reported_at", "pk")
    )
    row.files = list(
        WarningEvidence.objects.filter(warning=row.warning)
        .select_related("uploaded_by")
        .order_by("uploaded_at", "pk")
    )
    return row


def finding_owner(pk: int) -> Enterprise | None:
    """The enterprise a finding belongs to, whoever asks (to tell an attempt on another
    enterprise's finding from a finding that does not exist)."""
    row = Finding.objects.filter(pk=pk).select_related("visit__enterprise").first()
    return row.visit.enterprise if row is not None else None


def certificates(enterprise: Enterprise) -> list[EnterpriseCertificate]:
    return list(enterprise.certificates.order_by("-year", "kind", "pk"))


def profile_sections(enterprise: Enterprise) -> dict:
    """Plan progress, visits, certificates and warnings of an enterprise: six queries."""
    return {
        "plan": plan(enterprise),
        "visits": visits(enterprise),
        "certificates": certificates(enterprise),
        "warnings": list(enterprise_warnings(enterprise).order_by("-created_at")[:50]),
    }


def certificate_counters(today: dt.date) -> dict:
    """The counters per year (distinct enterprises with the certificate that year) and
    each current target with its count and status: two queries."""
    counts = work_rules.certificate_counts(
        EnterpriseCertificate.objects.values_list("enterprise_id", "kind", "level", "stage", "year")
    )
    years = sorted({year for _key, year in counts}, reverse=True)
    names = {c.key: c for c in work_rules.COUNTERS}
    targets = []
    for target in CertificateCountTarget.objects.filter(is_current=True).select_related(
        "approved_by", "recorded_by"
    ):
        actual = counts.get((target.counter, target.year), 0)
        targets.append(
            {
                "target": target,
                "counter": names.get(target.counter),
                "actual": actual,
                "status": work_rules.target_status(actual, target.value, target.year, today),
            }
        )
    targets.sort(key=lambda row: (-row["target"].year, row["target"].counter))
    items = {key: code for code, key in work_rules.WORK_ITEM_COUNTERS.items()}
    rows = [
        {
            "counter": counter,
            "work_item": items.get(counter.key, ""),
            "counts": [counts.get((counter.key, year), 0) for year in years],
        }
        for counter in work_rules.COUNTERS
    ]
    return {"years": years, "rows": rows, "counts": counts, "targets": targets}


def benchmarks() -> list[Benchmark]:
    return list(Benchmark.objects.select_related("recorded_by").order_by("industry", "-year"))


def value_added_benchmarks() -> list[Benchmark]:
    """The benchmarks the ledger compares (energy per 万元 value added, by industry)."""
    return list(
        Benchmark.objects.filter(metric=Benchmark.Metric.PER_VALUE_ADDED).exclude(industry="")
    )


def overdue_measures(today: dt.date):
    return Measure.objects.filter(
        state__in=[Measure.State.PLANNED, Measure.State.IN_PROGRESS],
        due_quarter__lt=work_rules.quarter_of(today),
    )


def work_item_counts(year: int | None = None) -> dict:
    """For the plan's work items that count enterprises (work_rules.WORK_ITEM_COUNTERS):
    the register's count per year (key units with a plan: as of now), as
    {year: {work item code: {"counter", "count", "year"}}}, or that year's entry alone.
    Two queries, however many years are asked for."""
    rows = EnterpriseCertificate.objects.values_list(
        "enterprise_id", "kind", "level", "stage", "year"
    )
    counts = work_rules.certificate_counts(rows if year is None else rows.filter(year=year))
    planned = Enterprise.objects.filter(is_key_unit=True, measures__isnull=False).distinct().count()
    names = {c.key: c for c in work_rules.COUNTERS}
    names[work_rules.PLANS_COUNTER.key] = work_rules.PLANS_COUNTER

    def of_year(wanted: int) -> dict[str, dict]:
        answer = {}
        for code, key in work_rules.WORK_ITEM_COUNTERS.items():
            count = planned if key == work_rules.PLANS_COUNTER.key else counts.get((key, wanted), 0)
            answer[code] = {"counter": names[key], "count": count, "year": wanted}
        return answer

    if year is not None:
        return of_year(year)
    return _ByYear(of_year)


class _ByYear(dict):
    """Year → that year's counts, built when first asked for."""

    def __init__(self, build):
        super().__init__()
        self._build = build

    def __missing__(self, year: int) -> dict:
        self[year] = self._build(year)
        return self[year]
