"""Sign-in throttling (django-axes per username and address), session limits, password
rules and the content security policy, through the real middleware and views."""

import datetime as dt
from collections import Counter

import pytest
from axes.exceptions import AxesBackendRequestParameterRequired
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from accounts.models import User
from accounts.sessions import LAST_SEEN_AT, SIGNED_IN_AT, session_expiry_reason
from accounts.signin import client_address
from audit.models import AuditEvent
from dezhou_carbon.middleware import POLICY

PASSWORD = "correct horse battery staple"  # tests/conftest.py's personas
OFFICE_NAT = "10.20.0.1"  # one address for a whole department behind the park's NAT
ELSEWHERE = "10.30.0.9"
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
LOCKOUT_TEXT = {"zh-hans": "登录失败次数过多", "en": "Too many failed sign-ins"}


def _sign_in(client, username, password, address=OFFICE_NAT):
    return client.post(
        reverse("login"),
        {"username": username, "password": password, "next": reverse("plan")},
        REMOTE_ADDR=address,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _fail(client, username, times, address=OFFICE_NAT):
    responses = [_sign_in(client, username, "wrong password", address) for _ in range(times)]
    return responses[-1]


def _actions(*names):
    return list(
        AuditEvent.objects.filter(action__in=names).order_by("id").values_list("action", flat=True)
    )


# --- Brute force: django-axes per (username, address) --------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_ninth_attempt_is_refused_with_the_lockout_message_even_with_the_right_password(
    client, clerk, language
):
    client.cookies["django_language"] = language
    seventh = _fail(client, clerk.username, 7)
    assert seventh.status_code == 200  # the ordinary "wrong password" page
    assert LOCKOUT_TEXT[language] not in seventh.content.decode()

    eighth = _fail(client, clerk.username, 1)
    assert eighth.status_code == 429
    assert LOCKOUT_TEXT[language] in eighth.content.decode()

    ninth = _sign_in(client, clerk.username, PASSWORD)
    page = ninth.content.decode()
    assert ninth.status_code == 429
    assert LOCKOUT_TEXT[language] in page
    assert "15" in page  # minutes until the lock lifts
    assert 'name="password"' in page  # the sign-in page itself, not a bare error
    assert f'value="{clerk.username}"' in page
    assert not _signed_in(client)
    # Every refused attempt is one login_failed record; the lockout itself is one record.
    actions = _actions("login", "login_failed", "login_locked_out")
    assert Counter(actions) == {"login_failed": 9, "login_locked_out": 1}
    lockout = AuditEvent.objects.get(action="login_locked_out")
    assert lockout.details["username"] == clerk.username
    assert lockout.details["ip"] == OFFICE_NAT
    assert lockout.details["failure_limit"] == 8


@pytest.mark.django_db
def test_a_nat_neighbour_still_signs_in_while_a_colleague_is_locked_out(client, clerk, head):
    _fail(client, clerk.username, 8)
    assert _sign_in(client, clerk.username, PASSWORD).status_code == 429

    response = _sign_in(client, head.username, PASSWORD)  # same address, other person
    assert response.status_code == 302
    assert response["Location"] == reverse("plan")
    assert _signed_in(client)


@pytest.mark.django_db
def test_the_same_person_signs_in_from_another_address(client, clerk):
    _fail(client, clerk.username, 8)
    assert _sign_in(client, clerk.username, PASSWORD).status_code == 429

    response = _sign_in(client, clerk.username, PASSWORD, address=ELSEWHERE)
    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_the_lock_lifts_by_itself_after_the_cool_off(client, clerk, time_machine):
    time_machine.move_to(START, tick=False)
    _fail(client, clerk.username, 8)

    # Trying again during the lock does not restart it.
    time_machine.move_to(START + dt.timedelta(minutes=14, seconds=59), tick=False)
    assert _sign_in(client, clerk.username, PASSWORD).status_code == 429

    time_machine.move_to(START + dt.timedelta(minutes=15, seconds=1), tick=False)
    response = _sign_in(client, clerk.username, PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)
    assert _actions("login_locked_out", "login")[-1] == "login"


@pytest.mark.django_db
def test_a_successful_sign_in_resets_the_count(client, clerk):
    _fail(client, clerk.username, 7)
    assert _sign_in(client, clerk.username, PASSWORD).status_code == 302
    client.post(reverse("logout"))

    # Without the reset, 7 + 7 failures would be well past the limit of 8.
    assert _fail(client, clerk.username, 7).status_code == 200
    assert _sign_in(client, clerk.username, PASSWORD).status_code == 302
    assert _actions("login_locked_out") == []


@pytest.mark.django_db
def test_behind_the_proxy_failures_count_against_the_address_the_proxy_saw(client, clerk, settings):
    settings.PROXY_COUNT = 1
    for number in range(8):
        # A client rotating a forged X-Forwarded-For still fails from the same address.
        client.post(
            reverse("login"),
            {"username": clerk.username, "password": "wrong password"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{number}, {OFFICE_NAT}",
        )
    assert AuditEvent.objects.get(action="login_locked_out").details["ip"] == OFFICE_NAT
    refused = client.post(
        reverse("login"),
        {"username": clerk.username, "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=OFFICE_NAT,
    )
    assert refused.status_code == 429


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        pytest.param(0, "10.1.1.1", "", "10.1.1.1", id="no_proxy_case"),
        pytest.param(0, "10.1.1.1", "10.9.9.9", "10.1.1.1", id="no_proxy_forged_header_case"),
        pytest.param(1, "127.0.0.1", "10.2.2.2", "10.2.2.2", id="one_proxy_case"),
        pytest.param(1, "127.0.0.1", "6.6.6.6, 10.2.2.2", "10.2.2.2", id="forged_left_case"),
        pytest.param(2, "127.0.0.1", "10.3.3.3, 10.0.0.2", "10.3.3.3", id="two_proxies_case"),
        pytest.param(2, "127.0.0.1", "10.0.0.2", "127.0.0.1", id="bypassed_proxy_case"),
    ],
)
def test_the_client_address(settings, proxies, remote, forwarded, expected):
    settings.PROXY_COUNT = proxies
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **extra)
    assert client_address(request) == expected


# --- Signing in in tests and from scripts still works with axes ------------------------------


@pytest.mark.django_db
def test_the_test_client_signs_in_with_a_request_as_axes_documents(client, clerk):
    # Axes needs the request; tests pass a blank one (or use force_login).
    with pytest.raises(AxesBackendRequestParameterRequired):
        client.login(username=clerk.username, password=PASSWORD)
    assert client.login(request=HttpRequest(), username=clerk.username, password=PASSWORD)
    assert client.get(reverse("plan")).status_code == 200


@pytest.mark.django_db
def test_the_api_accepts_a_session_and_a_token(client, clerk):
    from accounts.tokens import api_token_create

    _token, key = api_token_create(user=clerk, name="script")
    url = reverse("api:department-list")
    assert client.get(url, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert client.get(url).status_code == 403
    client.force_login(clerk)
    assert client.get(url).status_code == 200


# --- Session limits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signed_in_ago", "last_seen_ago", "expected"),
    [
        pytest.param(dt.timedelta(hours=1), dt.timedelta(minutes=29), "", id="active_case"),
        pytest.param(
            dt.timedelta(hours=1), dt.timedelta(minutes=30, seconds=59), "", id="within_lag_case"
        ),
        pytest.param(dt.timedelta(hours=1), dt.timedelta(minutes=31), "idle", id="idle_case"),
        pytest.param(dt.timedelta(hours=11, minutes=59), dt.timedelta(0), "", id="long_day_case"),
        pytest.param(dt.timedelta(hours=12), dt.timedelta(0), "absolute", id="absolute_case"),
        pytest.param(
            dt.timedelta(hours=13), dt.timedelta(hours=2), "absolute", id="both_absolute_case"
        ),
    ],
)
def test_session_expiry_reason(signed_in_ago, last_seen_ago, expected):
    session = {
        SIGNED_IN_AT: (START - signed_in_ago).timestamp(),
        LAST_SEEN_AT: (START - last_seen_ago).timestamp(),
    }
    assert session_expiry_reason(session, START) == expected


@pytest.mark.django_db
def test_an_idle_session_is_signed_out_with_a_message(client, clerk, time_machine):
    time_machine.move_to(START, tick=False)
    client.force_login(clerk)
    plan = reverse("plan")

    time_machine.move_to(START + dt.timedelta(minutes=20), tick=False)
    assert client.get(plan).status_code == 200
    time_machine.move_to(START + dt.timedelta(minutes=50), tick=False)  # 30 minutes idle
    assert client.get(plan).status_code == 200

    time_machine.move_to(START + dt.timedelta(minutes=81), tick=False)  # 31 minutes idle
    response = client.get(plan, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "30 分钟没有操作" in response.content.decode()
    assert not _signed_in(client)
    expired = AuditEvent.objects.get(action="session_expired")
    assert (expired.actor, expired.reason) == (clerk, "idle")


@pytest.mark.django_db
def test_a_session_ends_twelve_hours_after_signing_in_however_active(client, clerk, time_machine):
    client.cookies["django_language"] = "en"
    time_machine.move_to(START, tick=False)
    client.force_login(clerk)
    minutes = 25
    while minutes < 12 * 60:
        time_machine.move_to(START + dt.timedelta(minutes=minutes), tick=False)
        assert client.get(reverse("login")).status_code == 200
        assert _signed_in(client), minutes
        minutes += 25

    time_machine.move_to(START + dt.timedelta(hours=12), tick=False)
    assert client.get(reverse("api:department-list")).status_code == 403
    assert not _signed_in(client)
    page = client.get(reverse("login")).content.decode()
    assert "signed in for 12 hours and were signed out" in page
    expired = AuditEvent.objects.get(action="session_expired")
    assert (expired.actor, expired.reason) == (clerk, "absolute")


@pytest.mark.django_db
def test_reading_pages_does_not_write_the_session_every_time(client, clerk, time_machine):
    time_machine.move_to(START, tick=False)
    client.force_login(clerk)
    stamps = []
    for seconds in (10, 40, 70, 80):
        time_machine.move_to(START + dt.timedelta(seconds=seconds), tick=False)
        client.get(reverse("login"))
        stamps.append(client.session[LAST_SEEN_AT] - START.timestamp())
    assert stamps == [0, 0, 70, 70]


# --- Password rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "zh", "en"),
    [
        pytest.param(
            "short-one", "密码太短：至少需要 12 个字符", "at least 12 characters", id="short_case"
        ),
        pytest.param("password1234", "这个密码太常见", "too common", id="common_case"),
        pytest.param("202611020930", "密码不能全是数字", "entirely numeric", id="numeric_case"),
        pytest.param(
            "li.clerk.2026", "密码与用户名过于相似", "too similar to the", id="similar_case"
        ),
    ],
)
def test_weak_passwords_are_refused_in_chinese_and_english(password, zh, en):
    user = User(username="li.clerk.2026", first_name="李")
    for language, expected in (("zh-hans", zh), ("en", en)):
        with translation.override(language), pytest.raises(ValidationError) as refused:
            validate_password(password, user=user)
        assert any(expected in message for message in refused.value.messages), (
            language,
            refused.value.messages,
        )


def test_passwords_need_no_character_classes():
    validate_password("correct horse battery staple")  # only lower-case letters and spaces
    with translation.override("en"):
        help_texts = " ".join(password_validators_help_texts())
    assert "12 characters" in help_texts
    assert "uppercase" not in help_texts.lower()


@pytest.mark.parametrize(("username", "role", "department", "label"), DEMO_ACCOUNTS)
def test_the_demo_password_passes_the_rules(username, role, department, label):
    validate_password(DEMO_PASSWORD, user=User(username=username, first_name=label, role=role))


# --- Content security policy -----------------------------------------------------------------


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(client, clerk):
    anonymous = client.get(reverse("login"))
    locked = _fail(client, clerk.username, 8)
    client.force_login(clerk)
    signed_in = client.get(reverse("plan"))
    for response in (anonymous, locked, signed_in):
        policy = response["Content-Security-Policy"]
        assert policy == POLICY
        assert "script-src 'self';" in policy
        assert "unsafe-eval" not in policy
    assert signed_in["Cache-Control"] == "no-store"
