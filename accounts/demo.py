"""Demo accounts and statistics for local trial only (`setup_park --demo`)."""

from accounts.models import User
from accounts.services import system_user

DEMO_PASSWORD = "demo-password-2026"
DEMO_ACCOUNTS = [
    ("committee", User.Role.COMMITTEE, None, "管委会成员"),
    ("drs_clerk", User.Role.CLERK, "DRS", "发改统计部填报员"),
    ("drs_head", User.Role.HEAD, "DRS", "发改统计部负责人"),
    ("grid_clerk", User.Role.CLERK, "GRID", "供电中心填报员"),
    ("stats", User.Role.STATISTICS_OFFICE, None, "统计办"),
    ("auditor", User.Role.AUDITOR, None, "审计人员"),
    ("admin", User.Role.ADMINISTRATOR, None, "系统管理员"),
]


def demo_setup() -> list[str]:
    """Create the demo accounts (password reset each run) and load demo statistics."""
    from indicators.demo import demo_statistics_load
    from tasks.models import Department

    lines = ["", f"演示账号 / demo accounts (local trial only, password for all: {DEMO_PASSWORD}):"]
    for username, role, department_code, label in DEMO_ACCOUNTS:
        user, _created = User.objects.get_or_create(username=username)
        user.role = role
        user.first_name = label
        user.department = Department.objects.get(code=department_code) if department_code else None
        # The admin pages serve reference data: staff access for those who edit it.
        user.is_staff = role in (
            User.Role.ADMINISTRATOR,
            User.Role.STATISTICS_OFFICE,
            User.Role.AUDITOR,
        )
        user.is_superuser = role == User.Role.ADMINISTRATOR
        user.set_password(DEMO_PASSWORD)
        user.save()
        lines.append(f"  {username:<12} {user.get_role_display()} {department_code or ''}")
    system = system_user()
    outcome = demo_statistics_load(user=system)
    lines.append(
        f"演示统计数据 / demo statistics: {outcome.row_count} rows, "
        f"{outcome.to_create} new versions"
    )
    from dashboards.services import warnings_sync
    from reporting.services import round_open

    for period in ("2025", "2026Q1", "2026Q2", "2026Q3"):
        round_open(period=period, user=system)
    raised = warnings_sync()
    lines.append(
        f"演示填报轮次与预警 / demo rounds and warnings: 4 rounds, {len(raised)} new warnings"
    )
    return lines
