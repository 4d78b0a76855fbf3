"""Each message in its own language (issue 15, the newcomer's first hour): DRF's own
errors put English in message_en and Chinese in message_zh whatever the request's
language, and messages built from a label (a state, a level, a status) put the Chinese
label in the Chinese text even when the person works in English."""

import re

import pytest
from django.test import Client
from django.utils import translation

from dashboards.models import EarlyWarning
from dezhou_carbon.exceptions import ApplicationError
from reporting.workflow import department_period_approve
from tasks.models import Department
from tests.helpers import department_fill

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_drf_errors_are_english_in_message_en_and_chinese_in_message_zh(language, clerk, outsider):
    anonymous = Client(HTTP_ACCEPT_LANGUAGE=language)
    body = anonymous.get("/api/v1/me/").json()
    assert body["code"] == "not_authenticated"
    assert body["message_en"] == "Authentication credentials were not provided."
    assert CJK.search(body["message_zh"])

    signed_in = Client(HTTP_ACCEPT_LANGUAGE=language)
    signed_in.force_login(clerk)
    missing = signed_in.get("/api/v1/work-items/999999/").json()
    assert (missing["code"], missing["message_en"]) == ("not_found", "Not found.")
    assert CJK.search(missing["message_zh"])

    wrong_method = signed_in.delete("/api/v1/me/").json()
    assert not CJK.search(wrong_method["message_en"])
    assert CJK.search(wrong_method["message_zh"])

    refused = Client(HTTP_ACCEPT_LANGUAGE=language)
    refused.force_login(outsider)
    denied = refused.get("/api/v1/tasks/").json()
    assert denied["message_en"] == "You do not have permission to perform this action."
    assert CJK.search(denied["message_zh"])


def test_a_workflow_refusal_keeps_the_chinese_state_in_message_zh_for_an_english_user(clerk, head):
    department_fill("DRS", "2024Q1", user=clerk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(head)
    body = client.post(
        "/api/v1/department-periods/DRS/2024Q1/approve/", {}, content_type="application/json"
    ).json()
    assert body["code"] == "invalid_state"
    assert "填报中" in body["message_zh"]
    assert not CJK.search(body["message_en"])
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        department_period_approve(
            department=Department.objects.get(code="DRS"), period="2024Q1", user=head
        )
    assert "填报中" in refused.value.message_zh


def test_a_warning_raised_while_english_is_active_is_chinese_in_its_chinese_text(
    administrator,
):
    from dashboards.services import warnings_sync
    from indicators.demo import demo_rows
    from indicators.recompute import results_recompute
    from tests.helpers import import_rows

    import_rows(demo_rows(), user=administrator)
    results_recompute()
    with translation.override("en"):
        warnings_sync()
    warning = EarlyWarning.objects.get(dedupe_key="status:T1")
    assert not re.search(r"\b(red|yellow|Serious|Behind)\b", warning.title_zh + warning.message_zh)
    assert not CJK.search(warning.title_en.split(" ", 1)[0])
    assert "red" not in warning.title_en.rsplit(":", 1)[-1]  # the status in words, not its code
