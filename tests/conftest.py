"""Personas and shared fixtures. The plan is loaded from the real fixtures for every test
that asks for `park` (the same code path as `setup_park`)."""

from decimal import Decimal

import pytest
from django.conf import settings

from accounts.models import User
from dezhou_carbon.seeding import SeedReport

pytest_plugins = ["tests.services", "tests.enterprise_fixtures"]


@pytest.fixture(autouse=True)
def _chinese_first():
    """Each test starts in the product's default language: LocaleMiddleware leaves the last
    request's language active in the thread, so a test after an English page would
    otherwise build its labels in English."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _test_speedups(settings):
    """Fast hashing, and static files served from the finders (no collectstatic manifest)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True, scope="session")
def _redis_cache_keys_removed_after_the_run():
    """Tests cache under their own prefix (pytest.ini: CACHE_KEY_PREFIX=dezhou_test, never
    production's `dezhou`) and leave no key behind in Redis."""
    yield
    if not settings.REDIS_URL:
        return
    import redis

    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    if not prefix or prefix == "dezhou":
        return  # never delete what may be production's
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass  # Redis went away (a fault test stopped it): nothing to clean


@pytest.fixture(autouse=True)
def _jobs_run_in_process():
    """Jobs run eagerly unless a test asks for a real worker (tests/services.py turns this
    off for `celery_worker_process`)."""
    from dezhou_carbon.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def _seed_park():
    from dezhou_carbon.seeding import reference_data_seed
    from indicators.seed import indicators_seed
    from tasks.models import Plan
    from tasks.services import plan_seed

    report = SeedReport()
    plan_seed(report=report)
    indicators_seed(plan=Plan.objects.get(), report=report)
    reference_data_seed()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Seed the shipped plan once; each test's transaction rolls back to this state."""
    with django_db_blocker.unblock():
        _seed_park()


@pytest.fixture
def park(db):
    """The shipped plan, items, indicators, targets, coefficients and rules (re-seeded
    if a transactional test flushed the database)."""
    from tasks.models import Plan

    if not Plan.objects.exists():
        _seed_park()
    return Plan.objects.get()


def _person(username, role, department_code=None, **extra):
    from tasks.models import Department

    department = Department.objects.get(code=department_code) if department_code else None
    return User.objects.create_user(
        username=username,
        password="correct horse battery staple",
        role=role,
        department=department,
        **extra,
    )


@pytest.fixture
def committee_member(park):
    """Reads everything; approves nothing."""
    return _person("wang.committee", User.Role.COMMITTEE)


@pytest.fixture
def clerk(park):
    """Enters the Development, Reform and Statistics Department's figures (DRS)."""
    return _person("li.clerk", User.Role.CLERK, "DRS")


@pytest.fixture
def other_clerk(park):
    """A clerk of the Ecology and Environment Sub-bureau (ECO)."""
    return _person("zhao.clerk", User.Role.CLERK, "ECO")


@pytest.fixture
def head(park):
    """Heads DRS: approves or returns DRS figures."""
    return _person("zhang.head", User.Role.HEAD, "DRS")


@pytest.fixture
def statistics_office(park):
    """Runs imports and manages coefficients."""
    return _person("chen.stats", User.Role.STATISTICS_OFFICE)


@pytest.fixture
def auditor(park):
    """Reads everything and the audit trail; exports."""
    return _person("sun.auditor", User.Role.AUDITOR)


@pytest.fixture
def administrator(park):
    return _person("admin.root", User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(park):
    """Signed in but given no role: sees nothing."""
    return _person("nobody", User.Role.NONE)


def services_required() -> bool:
    return settings.REQUIRE_SERVICES


# --- Product footprints (tests/test_footprints*.py) ---------------------------------------


@pytest.fixture
def eco_head(park):
    """Heads the Ecology and Environment Sub-bureau: approves footprint studies."""
    return _person("liu.ecohead", User.Role.HEAD, "ECO")


@pytest.fixture
def cell_maker(park):
    """A lithium-battery cell maker of 新能源新材料, in the register."""
    from enterprises.models import Enterprise
    from indicators.importing import credit_code_check_char
    from tasks.models import Department

    return Enterprise.objects.create(
        code="91371400MA3C00001" + credit_code_check_char("91371400MA3C00001"),
        name="德州锂能电池有限公司",
        industry="3841",
        leading_industry="new_energy_materials",
        supervising_department=Department.objects.get(code="DRS"),
    )


@pytest.fixture
def energy_manager(cell_maker):
    """The energy manager of 德州锂能电池 (cell_maker, supervised by DRS): sees and reports
    its own enterprise only, nothing of the park or of any other enterprise."""
    return _person("he.energy", User.Role.ENERGY_MANAGER, enterprise=cell_maker)


@pytest.fixture
def footprint_library(statistics_office):
    """Material and transport factors of the footprint hand case (the GWPs ship as data)."""
    from footprints import services

    for key, value, unit in (
        ("ncm811", "20.5", "kgCO₂e/kg"),
        ("steel.cold_rolled", "2.1", "kgCO₂e/kg"),
        ("truck.heavy", "0.1", "kgCO₂e/t·km"),
    ):
        services.factor_revise(
            key=key, year=2023, value=Decimal(value), unit=unit,
            source="中国产品全生命周期温室气体排放系数库", reason="初始录入", user=statistics_office,
            category="transport" if key.startswith("truck") else "material",
        )  # fmt: skip


@pytest.fixture
def study(other_clerk, cell_maker, footprint_library):
    """The ECO clerk's footprint study of an LFP cell, economic allocation 80 %."""
    from footprints import services

    return services.study_create(
        user=other_clerk,
        enterprise=cell_maker,
        product_key="cell-lfp-280",
        product_zh="电芯",
        product_en="LFP cell",
        declared_unit="1 个电芯",
        reference_year=2023,
        allocation="economic",
        shares=[("电芯", Decimal("80")), ("废料回收", Decimal("20"))],
    )
