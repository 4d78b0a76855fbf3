"""Issue 14 #10: API tokens expire (API_TOKEN_DAYS, default 90), the expiry is shown and
the owner renews it (page and endpoint), audited; a bad or expired token answers 401 with
`WWW-Authenticate`."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import api_token_create
from audit.models import AuditEvent


def _session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _script(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def _assert_401(response, code: str) -> dict:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    body = response.json()
    assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message_zh"])
    assert body["message_en"].isascii()
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_a_new_token_runs_out_after_the_configured_days(clerk, settings):
    settings.API_TOKEN_DAYS = 30
    before = timezone.now()

    token, _key = api_token_create(user=clerk, name="夜间脚本")

    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)
    event = AuditEvent.objects.get(action="api_token_create")
    assert event.details["expires_at"] == token.expires_at.isoformat()


def test_the_default_is_90_days(clerk):
    token, _key = api_token_create(user=clerk, name="a")

    assert (token.expires_at - token.created_at).days in (89, 90)


def test_an_expired_token_is_refused_with_401_and_the_scheme(clerk):
    token, key = api_token_create(user=clerk, name="旧脚本")
    assert _script(key).get(reverse("api:me")).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    body = _assert_401(_script(key).get(reverse("api:me")), "token_expired")

    assert "到期" in body["message_zh"]
    assert "expired" in body["message_en"]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Token not-a-key", "token_invalid"),
        ("Bearer not-a-key", "token_invalid"),
        ("Token", "token_malformed"),
        ("Token a b", "token_malformed"),
    ],
)
def test_a_bad_token_is_refused_with_401_and_the_scheme(park, header, code):
    _assert_401(APIClient(HTTP_AUTHORIZATION=header).get(reverse("api:me")), code)


def test_no_token_at_all_is_still_the_envelopes_403(park):
    assert APIClient().get(reverse("api:me")).status_code == 403


def test_the_owner_renews_a_token_by_the_endpoint_audited(clerk, settings):
    token, key = api_token_create(user=clerk, name="脚本")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    session = APIClient()
    session.force_login(clerk)

    renewed = session.post(reverse("api:token-renew", args=[token.pk]), {}, format="json")

    assert renewed.status_code == 200
    assert renewed.json()["expired"] is False
    token.refresh_from_db()
    assert token.expires_at > timezone.now() + timedelta(days=89)
    event = AuditEvent.objects.get(action="api_token_renew")
    assert (event.actor, event.reason, event.new_value) == (
        clerk,
        "脚本",
        token.expires_at.isoformat(),
    )
    assert _script(key).get(reverse("api:me")).status_code == 200
    listed = session.get(reverse("api:token-list")).json()["results"][0]
    assert listed["expires_at"]
    assert listed["expired"] is False


def test_a_token_never_renews_itself_nor_anyone_elses(clerk, other_clerk):
    token, key = api_token_create(user=clerk, name="脚本")
    expiry = token.expires_at
    other = APIClient()
    other.force_login(other_clerk)

    itself = _script(key).post(reverse("api:token-renew", args=[token.pk]), {}, format="json")
    someone_else = other.post(reverse("api:token-renew", args=[token.pk]), {}, format="json")

    assert itself.status_code == 403
    assert someone_else.status_code == 403
    token.refresh_from_db()
    assert token.expires_at == expiry
    assert not AuditEvent.objects.filter(action="api_token_renew").exists()


def test_a_revoked_token_cannot_be_renewed(clerk):
    token, _key = api_token_create(user=clerk, name="脚本")
    session = APIClient()
    session.force_login(clerk)
    session.post(reverse("api:token-revoke", args=[token.pk]), {}, format="json")

    refused = session.post(reverse("api:token-renew", args=[token.pk]), {}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "token_revoked"


def test_the_tokens_page_shows_expiry_creates_renews_and_revokes(clerk, other_clerk):
    api_token_create(user=other_clerk, name="别人的令牌")
    client = _session(clerk)
    url = reverse("tokens")

    created = client.post(url, {"action": "create", "name": "月度导出"})
    assert created.status_code == 200
    page = created.content.decode()
    token = ApiToken.objects.get(user=clerk)
    key = page.split("<code data-new-key>")[1].split("</code>")[0]
    assert _script(key).get(reverse("api:me")).status_code == 200
    assert "别人的令牌" not in page
    shown = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
    assert f"<td data-expires>{shown}</td>" in page
    assert "有效（剩 89 天）" in page or "有效（剩 90 天）" in page
    # The key is shown once: the page does not show it again.
    assert key not in client.get(url).content.decode()

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=2))
    assert "已到期" in client.get(url).content.decode()
    renewed = client.post(url, {"action": "renew", "token": token.pk})
    assert renewed.status_code == 302
    token.refresh_from_db()
    assert token.expires_at > timezone.now() + timedelta(days=89)
    assert AuditEvent.objects.filter(action="api_token_renew", actor=clerk).exists()

    client.post(url, {"action": "revoke", "token": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "已吊销" in client.get(url).content.decode()


def test_the_tokens_page_refuses_someone_elses_token(clerk, other_clerk):
    token, _key = api_token_create(user=other_clerk, name="别人的令牌")
    expiry = token.expires_at

    response = _session(clerk).post(reverse("tokens"), {"action": "renew", "token": token.pk})

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.expires_at == expiry


def test_the_help_menu_links_the_tokens_page_for_those_who_may_use_it(clerk, outsider):
    assert reverse("tokens") in _session(clerk).get(reverse("plan")).content.decode()
    home = _session(outsider).get(reverse("login")).content.decode()
    assert reverse("tokens") not in home
    assert reverse("plan") not in home  # issue 15 #4: no link an outsider may not follow
