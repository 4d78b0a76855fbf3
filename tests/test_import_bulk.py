"""The import's two writers give the same figures: indicators.bulk (COPY + INSERT … SELECT,
PostgreSQL) and the ORM path of indicators.services.figure_record (SQLite, and PostgreSQL when the
bulk path is switched off here). Every test runs on whichever database the suite uses; on
PostgreSQL the `writer` parameter runs each scenario through both."""

import pytest
from django.db import DatabaseError, connection, transaction

from indicators import bulk
from indicators.models import DepartmentPeriod, Figure, ImportBatch, RecomputeRequest
from tests.helpers import import_rows

WRITERS = [
    pytest.param("bulk", id="bulk_case"),
    pytest.param("orm", id="orm_case"),
]


@pytest.fixture(params=WRITERS)
def writer(request, monkeypatch, park):
    if request.param != "orm" and not bulk.available():
        pytest.skip("the bulk writer needs PostgreSQL")
    if request.param == "orm":
        monkeypatch.setattr(bulk, "available", lambda: False)
    return request.param


def _snapshot() -> list[tuple]:
    """Every figure, by key and version, with what decides it (ids differ between runs)."""
    return [
        (
            f.item.code,
            f.period,
            f.year,
            f.quarter,
            f.scope,
            f.version,
            f.value,
            f.note,
            f.state,
            f.is_latest,
            f.counts,
            f.reason,
            f.supersedes.version if f.supersedes else None,
            f.entered_by.username,
            f.submitted_by.username if f.submitted_by else None,
            f.decided_by.username if f.decided_by else None,
            f.import_batch_id is not None,
        )
        for f in Figure.objects.select_related(
            "item", "supersedes", "entered_by", "submitted_by", "decided_by"
        ).order_by("item__code", "period", "scope", "version")
    ]


CODE = "91350100M000100Y43"
FIRST = [
    {"period": "2024Q1", "item": "coal_raw", "value": "100.50"},
    {"period": "2024Q1", "item": "natural_gas", "value": "7", "note": "meter"},
    {"period": "2024Q2", "item": "coal_raw", "value": "80", "scope": CODE},
    {"period": "2024", "item": "straw_utilized", "value": "5"},
]
SECOND = [
    {"period": "2024Q1", "item": "coal_raw", "value": "100.5"},  # same value: unchanged
    {"period": "2024Q1", "item": "natural_gas", "value": "7", "note": "meter, checked"},
    {"period": "2024Q2", "item": "coal_raw", "value": "81", "scope": CODE},
    {"period": "2024Q3", "item": "coal_raw", "value": "60"},  # new key
]

EXPECTED = [
    ("coal_raw", "2024Q1", 2024, 1, "", 1, "100.5", "", "approved", True, True, "", None),
    ("coal_raw", "2024Q2", 2024, 2, CODE, 1, "80", "", "approved", False, False, "", None),
    (
        "coal_raw",
        "2024Q2",
        2024,
        2,
        CODE,
        2,
        "81",
        "",
        "approved",
        True,
        True,
        "导入 / import",
        1,
    ),
    ("coal_raw", "2024Q3", 2024, 3, "", 1, "60", "", "approved", True, True, "", None),
    ("natural_gas", "2024Q1", 2024, 1, "", 1, "7", "meter", "approved", False, False, "", None),
    (
        "natural_gas",
        "2024Q1",
        2024,
        1,
        "",
        2,
        "7",
        "meter, checked",
        "approved",
        True,
        True,
        "导入 / import",
        1,
    ),
    ("straw_utilized", "2024", 2024, None, "", 1, "5", "", "approved", True, True, "", None),
]


def test_an_import_then_its_revision_write_the_same_versions_on_both_writers(writer, administrator):
    first = import_rows(FIRST, user=administrator)
    second = import_rows(SECOND, user=administrator)
    again = import_rows(SECOND, user=administrator)

    assert (first.to_create, first.unchanged) == (4, 0)
    assert (second.to_create, second.unchanged, second.revised_approved) == (3, 1, 2)
    assert (again.to_create, again.unchanged) == (0, 4)  # a repeated file is a no-op
    rows = _snapshot()
    assert [(*row[:6], format(row[6].normalize(), "f"), *row[7:13]) for row in rows] == EXPECTED
    assert {row[13:] for row in rows} == {("admin.root", "admin.root", "admin.root", True)}
    assert [c["line"] for c in second.changes] == [2, 3, 4]
    assert second.changes[0] == {
        "line": 2,
        "item": "natural_gas",
        "period": "2024Q1",
        "scope": "",
        "old": "7",
        "old_state": "approved",
        "new": "7",
    }
    assert ImportBatch.objects.get(pk=second.batch.pk).created_count == 3
    assert RecomputeRequest.objects.filter(status="pending").exists()


def test_an_unapproved_import_submits_its_periods_on_both_writers(writer, administrator):
    import_rows(FIRST, user=administrator, approve=False)

    states = set(Figure.objects.values_list("state", "counts", "is_latest"))
    assert states == {("submitted", False, True)}
    assert set(DepartmentPeriod.objects.values_list("state", flat=True)) == {"submitted"}


@pytest.mark.django_db(transaction=True)
def test_the_value_trigger_still_guards_figures_after_a_bulk_import(writer, administrator):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    with transaction.atomic():
        import_rows(FIRST, user=administrator)
        figure = Figure.objects.filter(is_latest=True).first()
        with pytest.raises(DatabaseError), transaction.atomic():
            Figure.objects.filter(pk=figure.pk).update(value=1)
