"""The engine with a real Celery worker over a real Redis broker of its own, which these
tests stop and restart: approvals update stored results, and an approval made while the
broker is down is saved and caught up once it returns."""

import shutil
import socket
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
import redis
from django.conf import settings as django_settings
from kombu import pools

from indicators.models import Figure, IndicatorResult, RecomputeRequest, StatisticalItem
from indicators.recompute import recompute_sweep
from reporting.workflow import (
    department_period_approve,
    department_period_submit,
    lock_exception_grant,
)
from tasks.models import Department
from tests.helpers import department_fill, import_rows, worked_example_rows
from tests.services import wait_for

D = Decimal


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RedisServer:
    """A redis-server process of this test alone, so stopping it disturbs nobody else."""

    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_timeout=0.5)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        assert wait_for(answers, timeout=10), "private redis-server did not start"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _use_broker(url: str) -> None:
    """Point this process's Celery producer at `url` (dropping pooled connections)."""
    from dezhou_carbon.celery import app

    app.conf.broker_url = url
    pools.reset()  # kombu keeps connection pools per broker: drop the dead ones
    app._pool = None
    if "amqp" in app.__dict__:  # created lazily on first publish
        app.__dict__["amqp"]._producer_pool = None


@pytest.fixture
def private_redis(require_postgres):
    if not shutil.which("redis-server"):
        if django_settings.REQUIRE_SERVICES:
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    server = RedisServer(_free_port())
    server.start()
    from dezhou_carbon.celery import app

    previous = app.conf.broker_url
    _use_broker(server.url)
    yield server
    server.stop()
    _use_broker(previous)


@pytest.fixture
def require_redis(private_redis):
    """The worker of these tests uses the private Redis as its broker."""
    return private_redis.url


def _intensity_2025():
    return (
        IndicatorResult.objects.filter(
            indicator__code="energy_intensity_iva", period="2025", scope="", variant=""
        )
        .values_list("value", flat=True)
        .first()
    )


def _revise_coal_2025q4(clerk, head, statistics_office, value: str):
    """The correction path of an approved quarter: unlock, correct with a reason, submit,
    approve again."""
    drs = Department.objects.get(code="DRS")
    lock_exception_grant(
        department=drs, period="2025Q4", reason="原煤数据更正", hours=2, user=statistics_office
    )
    # The worked example reported only some DRS items; a submission needs all of them.
    department_fill(
        "DRS",
        "2025Q4",
        user=clerk,
        reason="表计读数更正",
        values={
            "coal_raw": value,
            "natural_gas": "1750",
            "diesel": "450",
            "heat_purchased": "400000",
            "iva_current": "362500",
            "iva_growth_ytd": "6.0",
        },
    )
    department_period_submit(department=drs, period="2025Q4", user=clerk)
    department_period_approve(department=drs, period="2025Q4", user=head)
    return StatisticalItem.objects.get(code="coal_raw").figures.get(period="2025Q4", is_latest=True)


def test_approving_a_figure_updates_the_stored_result(
    celery_worker_process, administrator, clerk, head, statistics_office
):
    import_rows(worked_example_rows(), user=administrator)
    assert wait_for(lambda: _intensity_2025() is not None, timeout=30), celery_worker_process.log()
    assert round(_intensity_2025(), 5) == D("0.36465")

    _revise_coal_2025q4(clerk, head, statistics_office, "70000")  # +10,000 t raw coal

    expected = (D("504142.78") + D("10000") * D("0.7143")) / (D("504142.78") / D("0.36465"))
    assert wait_for(
        lambda: (value := _intensity_2025()) is not None and round(value, 4) == round(expected, 4),
        timeout=30,
    ), celery_worker_process.log()
    # The job commits the results first and marks its request done in the next
    # transaction: on a loaded machine the new value can be seen a moment before that.
    assert wait_for(
        lambda: not RecomputeRequest.objects.exclude(status="done").exists(), timeout=30
    ), celery_worker_process.log()


def test_an_approval_while_the_broker_is_down_is_saved_and_caught_up(
    celery_worker_process, private_redis, administrator, clerk, head, statistics_office, settings
):
    settings.RECOMPUTE_SWEEP_AFTER = timedelta(0)
    import_rows(worked_example_rows(), user=administrator)
    assert wait_for(lambda: _intensity_2025() is not None, timeout=30), celery_worker_process.log()
    before = _intensity_2025()

    private_redis.stop()
    _use_broker(private_redis.url)
    figure = _revise_coal_2025q4(clerk, head, statistics_office, "70000")

    figure.refresh_from_db()
    assert (figure.state, figure.counts) == ("approved", True)  # the approval is saved
    assert RecomputeRequest.objects.filter(status="pending").count() == 1
    assert _intensity_2025() == before  # not recomputed yet: nothing could be queued

    private_redis.start()
    _use_broker(private_redis.url)
    assert recompute_sweep() == 1  # what beat runs every two minutes
    assert wait_for(lambda: _intensity_2025() != before, timeout=60), celery_worker_process.log()
    assert wait_for(
        lambda: not RecomputeRequest.objects.exclude(status="done").exists(), timeout=30
    )
    assert Figure.objects.filter(item__code="coal_raw", period="2025Q4").count() == 2
