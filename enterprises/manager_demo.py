"""Demo enterprise accounts for local trial only (`setup_park --demo`): two energy
managers. The heat and power plant's (a key unit, supervised by DRS) sees its own history,
ledger and plan; the packaging maker's (supervised by EIT) has entered and submitted its
own 2026 Q3, which waits for EIT's head to review it. That quarter is left out of the demo
enterprises' imported history (enterprises.demo) so that it is the enterprise's to report.
Running it again changes nothing."""

from __future__ import annotations

from decimal import Decimal

from enterprises.demo import enterprise_code

PERIOD = "2026Q3"
# (user name, enterprise index in enterprises.demo.ENTERPRISES, name, reports PERIOD itself)
MANAGERS = [
    ("ent_power", 0, "刘海", False),  # 德州经开区热电有限公司 (DRS)
    ("ent_pack", 12, "宋佳", True),  # 德州齐鲁包装材料有限公司 (EIT)
]


def self_reported() -> set[tuple[str, str]]:
    """(credit code, period) pairs the demo enterprises' energy managers report themselves."""
    return {(enterprise_code(index), PERIOD) for _u, index, _n, own in MANAGERS if own}


def energy_managers_demo(rows: list[dict] | None = None) -> list[str]:
    """Create the energy managers (password reset each run); the packaging maker's enters
    and submits its quarter."""
    from accounts.demo import DEMO_PASSWORD
    from accounts.models import User
    from enterprises.demo import demo_enterprise_rows
    from enterprises.models import Enterprise, EnterprisePeriod
    from enterprises.quarters import (
        ENTERPRISE_ITEMS,
        enterprise_quarter_save,
        enterprise_quarter_submit,
    )
    from reporting.workflow import EntryValue

    rows = demo_enterprise_rows() if rows is None else rows
    lines = ["", "企业能源管理员 / enterprise energy managers (same password as the others):"]
    for username, index, name, reports in MANAGERS:
        enterprise = Enterprise.objects.filter(code=enterprise_code(index)).first()
        if enterprise is None:
            continue
        user, _created = User.objects.get_or_create(
            username=username,
            defaults={"role": User.Role.ENERGY_MANAGER, "enterprise": enterprise},
        )
        user.role, user.enterprise, user.department = User.Role.ENERGY_MANAGER, enterprise, None
        user.first_name, user.last_name = name, ""
        user.is_staff = user.is_superuser = False
        user.set_password(DEMO_PASSWORD)
        user.save()
        lines.append(f"  {username:<12} {name} · 企业能源管理员 {enterprise.name}")
        if (
            not reports
            or EnterprisePeriod.objects.filter(enterprise=enterprise, period=PERIOD).exists()
        ):
            continue
        values = {
            row["item"]: Decimal(row["value"])
            for row in rows
            if row["scope"] == enterprise.code and row["period"] == PERIOD
        }
        entries = [EntryValue(code, values.get(code, Decimal(0))) for code in ENTERPRISE_ITEMS]
        enterprise_quarter_save(enterprise=enterprise, period=PERIOD, entries=entries, user=user)
        enterprise_quarter_submit(enterprise=enterprise, period=PERIOD, user=user)
    return lines
