"""Every permission rule of the product, in one place.

Views, API endpoints, services and templates ask these functions; none of them checks a
role by itself. The rules:
- the committee and auditors read everything; auditors also read the audit trail;
- auditors, the committee and the statistics office export reports;
- a department clerk enters and submits figures of their own department only;
- a department head does what a clerk does and approves or returns their own department;
- four eyes: whoever submitted a period never approves it, and whoever submitted an
  approved period never unlocks it (lock exceptions) — another person decides;
- the statistics office runs imports, manages reporting rounds, items and coefficients;
- an administrator may do everything;
- an enterprise's energy manager (企业能源管理员) sees and reports only its own enterprise:
  its register entry, ledger and quarters (and, later, its plan, findings, certificates and
  footprints); none of the park's pages, figures or reports and nothing of any other
  enterprise (can_use_product is False for them: they use the enterprise pages only);
- anyone else (no role, inactive) sees nothing.
"""

from rest_framework.permissions import BasePermission

from accounts.models import User

Role = User.Role

_READ_ALL_ROLES = {Role.COMMITTEE, Role.AUDITOR, Role.STATISTICS_OFFICE, Role.ADMINISTRATOR}
_DEPARTMENT_ROLES = {Role.CLERK, Role.HEAD}


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _is_admin(user) -> bool:
    return _active(user) and (user.is_superuser or user.role == Role.ADMINISTRATOR)


def can_use_product(user) -> bool:
    """Signed in, active and given a park role: may open the plan pages and read plan data.
    An enterprise's energy manager has no park role (is_energy_manager)."""
    return _is_admin(user) or (_active(user) and user.role not in (Role.NONE, Role.ENERGY_MANAGER))


def is_energy_manager(user) -> bool:
    """An enterprise's energy manager, signed in and bound to their (one) enterprise."""
    return (
        _active(user)
        and not _is_admin(user)
        and user.role == Role.ENERGY_MANAGER
        and user.enterprise_id is not None
    )


def can_use_own_pages(user) -> bool:
    """May open their own notifications: whoever uses the product, and energy managers."""
    return can_use_product(user) or is_energy_manager(user)


def can_read_all_data(user) -> bool:
    """May read every department's figures and every computed result."""
    return _is_admin(user) or (_active(user) and user.role in _READ_ALL_ROLES)


def is_department_staff(user) -> bool:
    return _active(user) and user.role in _DEPARTMENT_ROLES and user.department_id is not None


def can_read_department(user, department_id: int | None) -> bool:
    """May read the (also unapproved) figures of this department."""
    if can_read_all_data(user):
        return True
    return is_department_staff(user) and department_id == user.department_id


def can_read_department_history(user, department_id: int | None) -> bool:
    """May read a department-period's history: every figure version and the audit events
    of that department (the department's own staff, and everyone who reads all data). The
    whole audit trail is the auditors' (can_read_audit_trail)."""
    return can_read_department(user, department_id)


def can_enter_figures(user, department_id: int | None) -> bool:
    """May create drafts, correct and submit figures of this department."""
    if _is_admin(user):
        return True
    return is_department_staff(user) and department_id == user.department_id


def can_approve(user, department_id: int | None) -> bool:
    """May approve or return this department's submitted figures."""
    if _is_admin(user):
        return True
    return (
        _active(user)
        and user.role == Role.HEAD
        and user.department_id is not None
        and department_id == user.department_id
    )


def _four_eyes(user, submitted_by_ids) -> bool:
    """`user` is none of the people who submitted what is being decided (ids, None ignored)."""
    return user.pk not in {pk for pk in submitted_by_ids if pk is not None}


def can_approve_submission(user, department_id: int | None, submitted_by_ids=()) -> bool:
    """May approve this department's submission made by `submitted_by_ids`: a head of the
    department (or an administrator) who submitted none of it (four eyes). The same rule
    serves other sign-offs where a decision counts (co-signs, verifications)."""
    return can_approve(user, department_id) and _four_eyes(user, submitted_by_ids)


def can_report_part(user, department_id: int | None) -> bool:
    """May report this unit's part of a work item (the plan's tasks): its own staff."""
    return can_enter_figures(user, department_id)


def can_read_part_report(user, department_ids) -> bool:
    """May read a unit's report on its part (and download its evidence): those who read
    all data, and the staff of the reporting unit or of the item's lead unit."""
    if can_read_all_data(user):
        return True
    return is_department_staff(user) and user.department_id in set(department_ids)


def can_verify_work_items(user, submitted_by_ids=()) -> bool:
    """May verify (销号) a work item or return it: the management committee, never for a
    report they made or approved themselves (four eyes)."""
    return (_is_admin(user) or (_active(user) and user.role == Role.COMMITTEE)) and _four_eyes(
        user, submitted_by_ids
    )


def can_plan_work_items(user) -> bool:
    """May set a work item's due quarter and quantity the plan left open: the committee."""
    return _is_admin(user) or (_active(user) and user.role == Role.COMMITTEE)


def can_grant_lock_exception(user, submitted_by_ids=()) -> bool:
    """May unlock an approved period for a correction: the statistics office (or an
    administrator), unless they submitted the period themselves (four eyes)."""
    return can_manage_reference_data(user) and _four_eyes(user, submitted_by_ids)


def can_run_imports(user) -> bool:
    """May import statistics files for any department (the statistics office's job)."""
    return _is_admin(user) or (_active(user) and user.role == Role.STATISTICS_OFFICE)


def can_approve_on_import(user) -> bool:
    """May load history as already approved (`import_statistics --approve`)."""
    return _is_admin(user)


def can_record_work_calendar(user) -> bool:
    """May record a year of the official holiday calendar (工作日历)."""
    return _is_admin(user)


def can_manage_reference_data(user) -> bool:
    """May edit items, coefficients, counting rules and targets."""
    return _is_admin(user) or (_active(user) and user.role == Role.STATISTICS_OFFICE)


def can_change_targets(user) -> bool:
    """May record a governed target change (indicators/targets.py) once the committee has
    approved it: the statistics office and administrators."""
    return can_manage_reference_data(user)


def can_approve_target_change(user) -> bool:
    """May approve a target change: a member of the management committee."""
    return _active(user) and user.role == Role.COMMITTEE


def can_see_warning(user, department_id: int | None) -> bool:
    """May see a warning owned by this department (None: a data anomaly, no department):
    readers of all data see every warning, department staff their own department's only.
    Pages and API alike (EarlyWarning.objects.visible_to is the same rule as a query)."""
    if can_read_all_data(user):
        return True
    return (
        department_id is not None
        and is_department_staff(user)
        and department_id == user.department_id
    )


def can_answer_warning(user, department_id: int | None) -> bool:
    """May acknowledge, resolve and attach evidence to a warning: the owning department's
    staff; a data anomaly (no department) the statistics office."""
    if department_id is None:
        return can_manage_reference_data(user)
    return can_enter_figures(user, department_id)


def can_sign_off_warning(user, department_id: int | None, answered_by_ids=()) -> bool:
    """May sign a warning's response off (or return it): a head of the owning department
    who did not write it (four eyes); a data anomaly's response needs no sign-off."""
    return department_id is not None and can_approve_submission(
        user, department_id, answered_by_ids
    )


def can_close_warnings(user) -> bool:
    """May close (销号) a resolved warning: the management committee."""
    return _is_admin(user) or (_active(user) and user.role == Role.COMMITTEE)


def can_export(user) -> bool:
    """May ask for and download reports (auditors, the committee, the statistics office)."""
    return _is_admin(user) or (
        _active(user) and user.role in {Role.AUDITOR, Role.COMMITTEE, Role.STATISTICS_OFFICE}
    )


def can_read_audit_trail(user) -> bool:
    return _is_admin(user) or (_active(user) and user.role == Role.AUDITOR)


def can_hold_api_token(user) -> bool:
    """May keep API tokens of their own (the tokens page and API): the product's users and
    an enterprise's energy manager (whose scripts report its own quarter)."""
    return can_use_product(user) or is_energy_manager(user)


def can_create_api_token(user, *, signed_in_with_token: bool) -> bool:
    """May create an API token for themselves: anyone who uses the product or is an
    enterprise's energy manager, signed in in the browser (a token never mints further
    tokens). A token acts as its owner: an energy manager's reaches its own enterprise only."""
    return can_hold_api_token(user) and not signed_in_with_token


def can_list_all_api_tokens(user) -> bool:
    """May list everyone's API tokens (never their keys), to revoke one: administrators."""
    return _is_admin(user)


def can_revoke_api_token(user, owner_id: int | None) -> bool:
    """May revoke this token: its owner (also with the token itself), or an administrator."""
    return _is_admin(user) or (_active(user) and owner_id == user.pk)


def can_renew_api_token(user, owner_id: int | None, *, signed_in_with_token: bool) -> bool:
    """May extend this token's expiry: its owner, signed in in the browser (a token never
    extends itself, or a stolen key would live for ever)."""
    return _active(user) and owner_id == user.pk and not signed_in_with_token


def can_manage_enterprises(user) -> bool:
    """May register enterprises, import the register and decide key-unit designations
    (the statistics office, which keeps the register, and administrators)."""
    return _is_admin(user) or (_active(user) and user.role == Role.STATISTICS_OFFICE)


def _enterprise_ids(enterprise) -> tuple[int | None, int | None]:
    """(enterprise id, supervising department id) of an Enterprise; a bare number (or
    None) is a supervising department's id (the rule's first form, kept for callers)."""
    if enterprise is None or isinstance(enterprise, int):
        return None, enterprise
    return enterprise.pk, enterprise.supervising_department_id


def can_read_enterprise(user, enterprise) -> bool:
    """May read an enterprise's register entry, ledger, quarters, plan, findings and
    certificates: who reads all data, the staff of its supervising department, and its
    own energy manager (never another enterprise's)."""
    if can_read_all_data(user):
        return True
    enterprise_id, department_id = _enterprise_ids(enterprise)
    if is_energy_manager(user):
        return enterprise_id is not None and enterprise_id == user.enterprise_id
    return is_department_staff(user) and department_id == user.department_id


def can_enter_enterprise_figures(user, enterprise) -> bool:
    """May save drafts of and submit an enterprise's own quarterly figures (its energy
    manager; an administrator)."""
    if _is_admin(user):
        return True
    enterprise_id, _department_id = _enterprise_ids(enterprise)
    return (
        is_energy_manager(user)
        and enterprise_id is not None
        and enterprise_id == user.enterprise_id
    )


def can_review_enterprise_period(user, enterprise, submitted_by_ids=()) -> bool:
    """May approve or return an enterprise's submitted quarter: a head of its supervising
    department (or an administrator) who submitted none of it (four eyes)."""
    _enterprise_id, department_id = _enterprise_ids(enterprise)
    return department_id is not None and can_approve_submission(
        user, department_id, submitted_by_ids
    )


def can_report_enterprise_progress(user, enterprise) -> bool:
    """May report a quarter's progress on an enterprise's plan measures: its supervising
    department's staff (and administrators), and the enterprise's own energy manager."""
    _enterprise_id, department_id = _enterprise_ids(enterprise)
    return can_manage_enterprise_work(user, department_id) or (
        is_energy_manager(user) and can_read_enterprise(user, enterprise)
    )


def can_answer_finding(user, enterprise) -> bool:
    """May acknowledge an on-site finding of an enterprise, report its rectification's
    progress with evidence and ask for its closure: the enterprise's own energy manager
    (the supervising department's staff answer it as any warning: can_answer_warning)."""
    enterprise_id, _department_id = _enterprise_ids(enterprise)
    return (
        is_energy_manager(user)
        and enterprise_id is not None
        and enterprise_id == user.enterprise_id
    )


def can_close_finding(user, supervising_department_id: int | None, resolved_by_id=None) -> bool:
    """May verify a rectified finding and close it (销号), or send it back: a head of the
    enterprise's supervising department, the committee (which closes every warning) and
    administrators; never an energy manager (an enterprise never closes its own finding)
    nor the person who reported the rectification done (four eyes)."""
    if is_energy_manager(user) or (resolved_by_id is not None and user.pk == resolved_by_id):
        return False
    return can_close_warnings(user) or can_approve(user, supervising_department_id)


def can_manage_enterprise_work(user, supervising_department_id: int | None) -> bool:
    """May keep an enterprise's plan (一企一策), its on-site visits and findings and its
    certificates: the staff of its supervising department, and administrators."""
    if _is_admin(user):
        return True
    return is_department_staff(user) and supervising_department_id == user.department_id


# --- Product carbon footprints (政策创新三; footprints app) --------------------------------
# The ecology and environment sub-bureau (settings.FOOTPRINTS_DEPARTMENT, "ECO") runs the
# footprint accounting: its staff prepare studies and record certificates, its head approves
# them (never the person who submitted); the statistics office keeps the factor library.


def _in_footprint_department(user) -> bool:
    from django.conf import settings

    return is_department_staff(user) and user.department.code == getattr(
        settings, "FOOTPRINTS_DEPARTMENT", "ECO"
    )


def can_read_footprints(user) -> bool:
    """May open the footprint pages: readers of all data, the footprint department, and an
    enterprise's energy manager (who sees its own enterprise's studies only:
    can_read_study)."""
    return can_read_all_data(user) or _in_footprint_department(user) or is_energy_manager(user)


def can_read_study(user, enterprise) -> bool:
    """May read a study of this enterprise (its page, files, API): readers of all data and
    the footprint department; an energy manager its own enterprise's only."""
    if is_energy_manager(user):
        return can_read_enterprise(user, enterprise)
    return can_read_footprints(user)


def can_read_footprint_counters(user) -> bool:
    """May see the park's footprint counters and their targets (not an enterprise's)."""
    return can_read_footprints(user) and not is_energy_manager(user)


def can_record_footprint_reference(user) -> bool:
    """May record an industry reference value (the park's, with its source): the footprint
    department, the statistics office, administrators (not an enterprise)."""
    return can_prepare_footprint(user) and not is_energy_manager(user)


def can_prepare_footprint(user, enterprise=None) -> bool:
    """May create and edit studies, import inventories and record certificates: the
    footprint department, the statistics office, administrators; an enterprise's energy
    manager for its own enterprise's products only (`enterprise`: the study's enterprise;
    without it the question is whether the person prepares studies at all)."""
    if is_energy_manager(user):
        if enterprise is None:
            return True
        enterprise_id, _department_id = _enterprise_ids(enterprise)
        return enterprise_id is not None and enterprise_id == user.enterprise_id
    return (
        _is_admin(user)
        or (_active(user) and user.role == Role.STATISTICS_OFFICE)
        or _in_footprint_department(user)
    )


def can_review_footprint(user, submitted_by_id: int | None) -> bool:
    """May approve or return a submitted study: the footprint department's head, and never
    the person who submitted it (four eyes)."""
    return (
        _in_footprint_department(user)
        and user.role == Role.HEAD
        and submitted_by_id is not None
        and submitted_by_id != user.pk
    )


def can_manage_footprint_factors(user) -> bool:
    """May add or revise factors of the footprint library (the statistics office)."""
    return can_manage_reference_data(user)


# --- Key projects and the energy budget (projects app) -------------------------------------
# 发改统计部 (settings.PROJECTS_DEPARTMENT, "DRS") runs the energy review, the carbon
# assessment and the budget; a project's responsible department reads its own projects.


def _in_projects_department(user) -> bool:
    from django.conf import settings

    return is_department_staff(user) and user.department.code == getattr(
        settings, "PROJECTS_DEPARTMENT", "DRS"
    )


def can_manage_projects(user) -> bool:
    """May register projects, record stages, energy reviews and carbon assessments."""
    return (
        _is_admin(user)
        or (_active(user) and user.role == Role.STATISTICS_OFFICE)
        or _in_projects_department(user)
    )


def can_report_project(user, department_id: int | None) -> bool:
    """May submit a project's quarterly update: the staff of its responsible department
    (its head approves, never their own: can_approve_submission)."""
    return can_enter_figures(user, department_id)


def can_read_project(user, department_id: int | None) -> bool:
    return (
        can_read_all_data(user)
        or _in_projects_department(user)
        or (is_department_staff(user) and department_id == user.department_id)
    )


def can_read_budgets(user) -> bool:
    """May read the energy budget (用能预算): readers of all data and the projects department."""
    return can_read_all_data(user) or _in_projects_department(user)


def can_draft_budget(user) -> bool:
    """May draft a version of a year's energy budget: whoever manages the projects."""
    return can_manage_projects(user)


def can_approve_budget(user, drafted_by_id: int | None = None) -> bool:
    """May approve a budget version: a committee member who did not draft it (four eyes)."""
    return (
        _active(user)
        and user.role == Role.COMMITTEE
        and (drafted_by_id is None or user.pk != drafted_by_id)
    )


# --- The pilot's annual progress report, case library and public page (pilot app) ----------
# Sections are written by their owning unit's staff and approved by the committee (never by
# the person who submitted them); the committee opens, freezes, records the submission and
# the evaluators' feedback, and decides what the public page shows.


def can_read_pilot_report(user) -> bool:
    """May open the annual report workspace and the case library (everyone with a role)."""
    return can_use_product(user)


def can_manage_pilot_report(user) -> bool:
    """May open a year's workspace, freeze it, record its submission and feedback, publish."""
    return _is_admin(user) or (_active(user) and user.role == Role.COMMITTEE)


def can_write_pilot_section(user, owner_id: int | None) -> bool:
    """May edit and submit a section: the owning unit's staff (or an administrator)."""
    return can_enter_figures(user, owner_id)


def can_approve_pilot_section(user, submitted_by_ids=()) -> bool:
    """May approve or return a submitted section: the committee, never its submitter."""
    return can_manage_pilot_report(user) and _four_eyes(user, submitted_by_ids)


def can_propose_case(user) -> bool:
    """May propose a typical case for the case library: department staff and the committee."""
    return is_department_staff(user) or can_manage_pilot_report(user)


def can_attach_case_evidence(user, department_id: int | None) -> bool:
    """May attach evidence to a case: its proposing unit's staff and the committee."""
    return can_enter_figures(user, department_id) or can_manage_pilot_report(user)


def can_decide_case(user) -> bool:
    """May submit a case to the province and record its selection: the committee."""
    return can_manage_pilot_report(user)


def can_publish(user) -> bool:
    """May publish or unpublish items on the public page (宣传推广): the committee."""
    return can_manage_pilot_report(user)


class UsesProduct(BasePermission):
    """DRF: the request's user may use the product at all."""

    def has_permission(self, request, view) -> bool:
        return can_use_product(request.user)


class UsesProductOrEnterprise(BasePermission):
    """DRF: the product's users, and energy managers (endpoints that answer them with their
    own enterprise only)."""

    def has_permission(self, request, view) -> bool:
        return can_use_product(request.user) or is_energy_manager(request.user)


# --- Units' responsibility assessment (目标责任考核; assessment app) -----------------------
# The committee ranks all units, freezes a year, adjusts with reasons and signs off (never
# the person who froze it); a unit's staff read their own scorecard and explain it; the
# scheme is recorded by the statistics office and approved by a committee member (文号).


def can_read_assessment(user, department_id: int | None = None) -> bool:
    """May read the ranking of all units (department_id None) or a unit's scorecard: those
    who read all data; a unit's own staff its own scorecard."""
    if can_read_all_data(user):
        return True
    return department_id is not None and can_read_department(user, department_id)


def can_use_assessment(user) -> bool:
    """May open the assessment at all (the ranking, or one's own unit's scorecard)."""
    return can_read_all_data(user) or is_department_staff(user)


def can_prepare_assessment(user) -> bool:
    """May freeze a year's assessment, adjust scores with reasons and record rewards and
    sanctions: the management committee (and administrators)."""
    return _is_admin(user) or (_active(user) and user.role == Role.COMMITTEE)


def can_sign_off_assessment(user, prepared_by_id: int | None) -> bool:
    """May sign a frozen assessment off: a committee member who did not freeze it."""
    return can_prepare_assessment(user) and _four_eyes(user, [prepared_by_id])


def can_explain_assessment(user, department_id: int | None) -> bool:
    """May add the unit's explanation of its scores: the unit's own staff."""
    return is_department_staff(user) and department_id == user.department_id
