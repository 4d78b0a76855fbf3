"""Reads of the footprint accounting: factor rows for the calculation, study lists and pages,
comparisons and the policy innovation's counters. Query counts do not grow with the data."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Prefetch

from footprints import calculations as fc
from footprints.models import Certificate, CountTarget, EmissionFactor, Study


def library_rows() -> list[fc.LibraryRow]:
    return [
        fc.LibraryRow(key, Decimal(value), unit, year, version, source)
        for key, value, unit, year, version, source in EmissionFactor.objects.filter(
            is_current=True
        ).values_list("key", "value", "unit", "year", "version", "source")
    ]


def registry_book():
    from indicators.selectors import coefficient_book

    return coefficient_book()


def current_factors():
    return EmissionFactor.objects.filter(is_current=True).order_by("category", "key", "-year")


def factor_history(key: str):
    return EmissionFactor.objects.filter(key=key).order_by("-year", "-version")


def studies(*, leading_industry: str = "", state: str = "", enterprise_id: int | None = None):
    found = Study.objects.select_related("enterprise").annotate(
        certificate_count=Count("certificates")
    )
    if leading_industry:
        found = found.filter(leading_industry=leading_industry)
    if state:
        found = found.filter(state=state)
    if enterprise_id:
        found = found.filter(enterprise_id=enterprise_id)
    return found.order_by("leading_industry", "product_key", "-reference_year", "-pk")


def study_page(pk: int) -> Study:
    """A study with everything its page shows, in a fixed number of queries."""
    return (
        Study.objects.select_related(
            "enterprise", "reference", "prepared_by", "submitted_by", "decided_by"
        )
        .prefetch_related(
            "lines",
            "omissions",
            Prefetch("certificates", queryset=Certificate.objects.order_by("-valid_from")),
        )
        .get(pk=pk)
    )


def product_versions(study: Study) -> list[Study]:
    """The same product of the same enterprise over reference years (for comparison)."""
    return list(
        Study.objects.filter(enterprise_id=study.enterprise_id, product_key=study.product_key)
        .exclude(total__isnull=True)
        .order_by("reference_year")
        .only("pk", "reference_year", "total", "state", "declared_unit")
    )


def stale_factors(study: Study) -> list[dict]:
    """Factors the stored result used that now have a newer current version (library) or a
    different current registry coefficient: the result is outdated, a recompute is offered."""
    used = study.trace.get("factors", []) if study.trace else []
    if not used:
        return []
    current = {(row.key, row.year): row.version for row in library_rows()}
    registry = {}
    from indicators.models import Coefficient

    for key, year, version in Coefficient.objects.filter(is_current=True).values_list(
        "key", "year", "version"
    ):
        registry[(key, year)] = version
    stale = []
    for factor in used:
        ref = factor["ref"]
        if ref.startswith("library:"):
            now = current.get((ref.removeprefix("library:"), factor["year"]))
            if now is not None and now != factor["version"]:
                stale.append({**factor, "current_version": now})
        for component in factor.get("components", []):
            now = registry.get((component["key"], component.get("year", 0)))
            if now is not None and now != component["version"]:
                stale.append({**factor, "current_version": now})
                break
    return stale


def innovation_counters() -> dict:
    """Counts by leading industry and year for the pilot report: studies approved in the year
    (by the date of approval, Beijing time), products certified in the year (a certificate
    starting that year; a product counts once a year) and of those labelled. Only approved
    studies count. Two queries."""
    from django.utils import timezone

    rows = defaultdict(lambda: {"studies": 0, "certified": 0, "labelled": 0})
    for industry, decided_at in Study.objects.filter(state=Study.State.APPROVED).values_list(
        "leading_industry", "decided_at"
    ):
        if decided_at is not None:
            rows[(industry, timezone.localtime(decided_at).year)]["studies"] += 1
    certified: dict[tuple[str, int], set] = defaultdict(set)
    labelled: dict[tuple[str, int], set] = defaultdict(set)
    for industry, study_id, valid_from, label in Certificate.objects.filter(
        study__state=Study.State.APPROVED
    ).values_list("study__leading_industry", "study_id", "valid_from", "label"):
        certified[(industry, valid_from.year)].add(study_id)
        if label:
            labelled[(industry, valid_from.year)].add(study_id)
    for key, studies in certified.items():
        rows[key]["certified"] = len(studies)
        rows[key]["labelled"] = len(labelled.get(key, ()))
    return dict(sorted(rows.items()))


def expiring_certificates(today: dt.date, days: int):
    """(certificate, people to remind) for certificates of approved studies ending within
    `days` and not yet ended: the footprint department's staff, and the enterprise's users
    where the enterprise accounts exist."""
    from accounts.models import User

    department = getattr(settings, "FOOTPRINTS_DEPARTMENT", "ECO")
    staff = list(
        User.objects.filter(
            is_active=True,
            role__in=[User.Role.CLERK, User.Role.HEAD],
            department__code=department,
        )
    )
    certificates = Certificate.objects.select_related("study__enterprise").filter(
        valid_to__gte=today, valid_to__lte=today + dt.timedelta(days=days)
    )
    result = []
    for certificate in certificates:
        recipients = list(staff)
        enterprise_users = getattr(certificate.study.enterprise, "users", None)
        if enterprise_users is not None:
            recipients.extend(enterprise_users.filter(is_active=True))
        result.append((certificate, recipients))
    return result


def counter_progress(today: dt.date) -> list[dict]:
    """Each year with a current counter target: the target, the count so far (all leading
    industries) and its status — achieved, in progress (the year is not over) or missed."""
    totals: dict[tuple[str, int], int] = defaultdict(int)
    for (_industry, year), counts in innovation_counters().items():
        totals[("approved_studies", year)] += counts["studies"]
        totals[("certified_products", year)] += counts["certified"]
    rows = []
    for target in CountTarget.objects.filter(is_current=True).order_by("year", "counter"):
        actual = totals.get((target.counter, target.year), 0)
        if actual >= target.value:
            status = "achieved"
        elif target.year >= today.year:
            status = "in_progress"
        else:
            status = "missed"
        rows.append({"target": target, "actual": actual, "status": status})
    return rows
