"""Where each person's work starts (the home page sends them there). It reads rounds and
departments' states from the reporting app, so it lives above the apps rather than in
`accounts` (which every app imports: an import of reporting there closed a circle)."""

from django.urls import reverse

from accounts import permissions
from accounts.models import User
from reporting.selectors import department_rounds


def start_page(user) -> str:
    """The address a person's work starts from, where the home page sends them: the
    committee (and administrators) the targets overview; department staff their unit's
    to-do page (figures, parts of the plan's work, approvals, co-signs, warnings; its
    figures step is `figures_next_step`); the statistics office the reporting
    rounds; auditors the reports; an enterprise's energy manager its enterprise's page;
    anyone else the plan page (which says they have no role)."""
    if permissions.is_department_staff(user):
        return reverse("tasks:todo")
    if permissions.is_energy_manager(user):
        return reverse("enterprises:profile", args=[user.enterprise.code])
    if not permissions.can_use_product(user):
        return reverse("plan")
    if user.role == User.Role.AUDITOR:
        return reverse("reports:index")
    if user.role == User.Role.STATISTICS_OFFICE:
        return reverse("reporting:index")
    return reverse("dashboards:overview")


def figures_next_step(user) -> str | None:
    """The page of the newest open round where the person's department waits for them:
    a head the review of a submitted quarter, anyone the entry form of a quarter still to
    finish; None when no open round waits."""
    department = user.department
    may_review = permissions.can_approve(user, department.pk)
    for row in department_rounds(department):
        if row.reporting_round.state != "open" or row.state == "approved":
            continue
        period = row.reporting_round.period
        if row.state == "submitted":
            if may_review:
                return reverse(
                    "reporting:review",
                    kwargs={"period": period, "department_code": department.code},
                )
            continue
        return reverse("reporting:entry", kwargs={"period": period})
    return None
