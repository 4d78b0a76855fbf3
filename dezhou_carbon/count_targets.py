"""Yearly targets of the policy innovations' counters (how many green factories, clean-
production audits, energy audits, certified products … in a year), one abstract model and
one service for every app that counts (enterprises' certificates, footprints' studies and
certificates).

Why these are not the indicator engine's Target rows (indicators.models.Target, changed
through indicators.targets.target_change): a Target is one of the plan's promises (T1…T17,
seeded from plan.md with its code, kind, qualifier, base year and one target year) judged
along a path (geometric or linear, methodology §7) against IndicatorResult rows that the
recompute derives from statistical figures. A counter's target is a number per calendar
year, set afresh each year by the committee's work plan, counted from register rows
(certificates, studies), never from figures, with no base year, path or qualifier. Forcing
them into Target would mean a plan target code per counter and year, results the recompute
cannot produce (the indicators app would have to import the enterprises and footprints
apps, an import circle), and statuses along a path that does not exist. What they share
with a governed target change is the decision itself, and that they do share: the same
check of who records and who approves (indicators.targets.decision_people_check: the
statistics office or an administrator records, a committee member approves, never the same
person), a reason and the 文号 required, the old version kept, an audit event.

Imported only from apps' models and services modules."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

MIN_YEAR, MAX_YEAR = 2000, 2100


class CountTarget(models.Model):
    """A yearly target of a counter, decided by the committee: a change is a new version,
    the old one stays (is_current False). A concrete model adds its `counter` field (its
    own choices) and its Meta (a unique current version per counter and year)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.PositiveIntegerField(_("目标值"))
    reason = models.TextField(_("原因"))
    document_no = models.CharField(_("文号"), max_length=100)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    is_current = models.BooleanField(_("现行"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.counter} {self.year} = {self.value} (v{self.version})"


def _refuse(zh: str, en: str, code: str):
    from dezhou_carbon.exceptions import ApplicationError

    return ApplicationError(zh, en, code=code)


@transaction.atomic
def count_target_set(
    model: type[CountTarget],
    *,
    counter: str,
    counters,
    year,
    value,
    reason: str,
    document_no: str,
    approver,
    actor,
    action: str,
    object_type: str,
) -> CountTarget:
    """Set `counter`'s target for `year` to `value` by the committee's decision: who records
    and who approves checked as for a governed target change, a reason and the 文号
    required, the counter one of `counters`, the year 2000–2100, the value a whole number
    not below 0. The current version (if any) is kept as an old one; an audit event
    `action` is written on `object_type`. Refused (zh/en) with nothing written."""
    from audit.services import audit_record
    from indicators.targets import decision_people_check

    decision_people_check(approver=approver, actor=actor)
    counter = str(counter or "")
    if counter not in counters:
        raise _refuse(
            f"计数“{counter[:40]}”无效。", f"Counter '{counter[:40]}' is not known.", "bad_counter"
        )
    try:
        year = int(str(year).strip())
    except (TypeError, ValueError):
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _refuse(
            f"年度应为 {MIN_YEAR}—{MAX_YEAR} 的四位年份。",
            f"The year must be {MIN_YEAR}–{MAX_YEAR}.",
            "bad_year",
        )
    try:
        value = int(str(value).strip())
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        raise _refuse(
            "目标值应为非负整数。", "A target should be a whole number, not negative.", "bad_value"
        )
    reason = str(reason or "").replace("\x00", "").strip()
    if not reason:
        raise _refuse("请填写原因。", "A reason is required.", "reason_required")
    document_no = str(document_no or "").replace("\x00", "").strip()[:100]
    if not document_no:
        raise _refuse(
            "请填写批准文件的文号。",
            "The number of the authorising document (文号) is required.",
            "document_required",
        )
    current = (
        model.objects.select_for_update()
        .filter(counter=counter, year=year, is_current=True)
        .first()
    )
    version = 1
    if current is not None:
        version = current.version + 1
        current.is_current = False
        current.save(update_fields=["is_current"])
    target = model.objects.create(
        counter=counter, year=year, value=value, reason=reason, document_no=document_no,
        approved_by=approver, recorded_by=actor, version=version,
    )  # fmt: skip
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=target.pk,
        period=str(year),
        old_value=None if current is None else current.value,
        new_value=value,
        reason=reason,
        details={"counter": counter, "year": year, "document_no": document_no,
                 "approved_by": approver.get_username(), "version": version},
    )  # fmt: skip
    return target
