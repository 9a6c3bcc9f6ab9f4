"""Browser and API hardening: headers, cookies, CSRF on every form, no open redirects,
calm error pages without stack traces, and JSON errors in the API's documented shape."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from babel.support import Translations
from itsdangerous import TimestampSigner

from regional import create_app
from regional.auth import tokens
from regional.config import TestingConfig
from regional.extensions import db
from regional.people.models import AccountStatus, User
from tenants.scoping import acting_as
from tests.conftest import PASSWORD, Client
from tests.fixtures_auth import find_user, update_user

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def _csp(resp) -> dict[str, list[str]]:
    policy = resp.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _same_db_app(app, **settings):
    """Another app instance on the test's database (shares the test's transaction)."""
    config = type(
        "Config",
        (TestingConfig,),
        {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **settings},
    )
    other = create_app(config)
    other.config["MAIL_PORT"] = app.config["MAIL_PORT"]
    other.test_client_class = Client
    return other


# -- headers ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/signup", "/no-such-page", "/api/v1/me", "/healthz"])
def test_every_answer_carries_a_strict_content_security_policy(client, path):
    csp = _csp(client.get(path))
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert not any("unsafe" in v or "http" in v for values in csp.values() for v in values)


def test_pages_forbid_sniffing_framing_leaky_referrers_and_caching(client):
    resp = client.get("/login")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin"}
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in resp.headers  # plain-HTTP test settings


def test_pages_link_no_outside_assets_and_no_inline_script_or_style(client, as_employee_a):
    pages = [(client, p) for p in ("/login", "/signup", "/password/forgot")] + [
        (as_employee_a, p)
        for p in ("/", "/records/my-training", "/sessions/", "/catalogue/", "/logout/everywhere")
    ]
    for c, path in pages:
        resp = c.get(path)
        assert resp.status_code == 200, path
        html = resp.get_data(as_text=True)
        # Scripts only as the platform's own files (CSP script-src 'self'), never inline.
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
        assert html.count("<script") == len(scripts), path
        for attrs, body in scripts:
            assert re.search(r'\bsrc="/static/[^"]+\.js"', attrs) and not body.strip(), path
        assert " style=" not in html
        assert " onclick=" not in html
        assert "https://" not in html.replace("https://www.w3.org", "")


# -- cookies ---------------------------------------------------------------


def _cookie(resp, name: str) -> str:
    found = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert found, resp.headers.getlist("Set-Cookie")
    return found[0]


def test_session_cookie_is_http_only_and_same_site_lax(client):
    cookie = _cookie(client.get("/login"), "regional_session")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_with_secure_cookies_both_cookies_are_secure_and_hsts_is_sent(app, world):
    secure = _same_db_app(app, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    c = secure.test_client()
    page = c.get("/login")
    assert "Secure" in _cookie(page, "regional_session")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    resp = c.post(
        "/login",
        data={
            "email": world.emails["employee_a"],
            "password": PASSWORD,
            "remember": "y",
            "csrf_token": c.csrf_token(),
        },
    )
    assert resp.status_code == 302
    for name in ("regional_session", "remember_token"):
        cookie = _cookie(resp, name)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# -- CSRF ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"email": "taro.tsuyama@city.tsuyama.lg.jp", "password": PASSWORD}),
        ("/language", {"lang": "en", "next": "/"}),
        ("/signup", {"municipality": "332038", "name": "x", "email": "x@city.tsuyama.lg.jp"}),
        ("/password/forgot", {"email": "taro.tsuyama@city.tsuyama.lg.jp"}),
    ],
)
def test_public_forms_without_a_csrf_token_are_refused(client, mailbox, path, data):
    client.get("/login")  # a session exists, only the token is missing
    resp = client.post(path, data=data)
    assert resp.status_code == 400
    assert mailbox.messages == []
    with client.session_transaction() as s:
        assert "_user_id" not in s and s.get("lang") is None


@pytest.mark.parametrize("path", ["/logout", "/logout/everywhere", "/language"])
def test_signed_in_forms_without_a_csrf_token_are_refused(app, as_employee_a, world, path):
    resp = as_employee_a.post(path, data={"lang": "en"})
    assert resp.status_code == 400
    assert as_employee_a.get("/").status_code == 200  # still signed in
    assert find_user(app, world.emails["employee_a"]).session_version == 1
    with as_employee_a.session_transaction() as s:
        assert s.get("lang") is None


def test_a_csrf_token_from_another_session_is_refused(app, client, as_employee_a):
    foreign = client.csrf_token()
    resp = as_employee_a.post("/logout", data={"csrf_token": foreign})
    assert resp.status_code == 400
    assert as_employee_a.get("/").status_code == 200


def test_the_api_ignores_the_session_cookie(as_employee_a):
    """The API is exempt from CSRF because a browser's cookie never authenticates it."""
    assert as_employee_a.get("/api/v1/me").status_code == 401


# -- redirects -------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "\\\\evil.example",
        "https:/evil.example",
        "javascript:alert(1)",
        " //evil.example",
    ],
)
def test_sign_in_never_redirects_off_site(client, world, target):
    token = client.csrf_token()
    resp = client.post(
        "/login",
        query_string={"next": target},
        data={"email": world.emails["employee_a"], "password": PASSWORD, "csrf_token": token},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_language_switch_never_redirects_off_site(client):
    resp = client.form_post("/language", {"lang": "en", "next": "https://evil.example/"})
    assert resp.headers["Location"] == "/"


# -- errors ----------------------------------------------------------------


@pytest.fixture
def fragile(app):
    """An app whose unexpected errors are handled as in production, with routes that fail."""
    other = _same_db_app(app, PROPAGATE_TEST_ERRORS=False)

    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    other.add_url_rule("/boom", "boom", boom)
    other.add_url_rule("/api/v1/boom", "api_boom", boom)
    return other


def test_an_unexpected_error_shows_a_calm_page_without_a_stack_trace(fragile):
    resp = fragile.test_client().get("/boom")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "<h1>" in html and 'lang="ja"' in html
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret internals", 'File "'):
        assert leak not in html
    assert resp.headers["Content-Security-Policy"]


def test_an_unexpected_api_error_is_json_without_details(fragile):
    resp = fragile.test_client().get("/api/v1/boom")
    assert resp.status_code == 500
    assert resp.get_json()["error"]["code"] == "server_error"
    assert "hunter2" not in resp.get_data(as_text=True)


def test_not_found_is_a_calm_page(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404
    assert "<h1>" in resp.get_data(as_text=True)


# -- API errors ------------------------------------------------------------


def _assert_error(resp, status: int, code: str) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.is_json
    body = resp.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["message"]


def _translated(msgid: str, lang: str) -> bool:
    catalogue = Translations.load(str(TRANSLATIONS), [lang])
    return catalogue.gettext(msgid) != msgid


def test_malformed_json_is_a_400_in_the_callers_language(client):
    def call(lang: str | None):
        headers = {"Accept-Language": lang} if lang else {}
        return client.post(
            "/api/v1/auth/token", data="{not json", content_type="application/json", headers=headers
        )

    default = _assert_error(call(None), 400, "malformed_json")
    english = _assert_error(call("en"), 400, "malformed_json")
    assert english == "The request body must be valid JSON."
    if _translated("The request body must be valid JSON.", "ja"):
        assert default != english
    _assert_error(client.post("/api/v1/auth/token", json=["a", "list"]), 400, "malformed_json")


def test_missing_or_mistyped_fields_are_400_naming_the_field(client):
    missing = client.post("/api/v1/auth/token", json={"email": "a@b.jp"})
    _assert_error(missing, 400, "missing_field")
    assert "password" in missing.get_json()["error"]["message"]
    _assert_error(
        client.post("/api/v1/auth/token", json={"email": "a@b.jp", "password": 12345678}),
        400,
        "invalid_field",
    )


def test_wrong_credentials_are_401(client, world):
    resp = client.post(
        "/api/v1/auth/token", json={"email": world.emails["employee_a"], "password": "nope nope 1"}
    )
    _assert_error(resp, 401, "invalid_credentials")


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "Basic abc", "bearer x.y.z"])
def test_a_bad_bearer_token_is_401(client, header):
    _assert_error(client.get("/api/v1/me", headers={"Authorization": header}), 401, "unauthorized")


def _token(client, email: str) -> str:
    resp = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["expires_at"][-6:] in {"+00:00", "+09:00"}
    return body["token"]


def test_an_expired_token_is_401(client, world, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 13 * 3600)
        token = _token(client, world.emails["employee_a"])
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    _assert_error(resp, 401, "unauthorized")


def test_a_token_dies_when_the_session_version_moves_on(app, client, world):
    token = _token(client, world.emails["employee_a"])
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    update_user(app, world.emails["employee_a"], session_version=7)
    _assert_error(client.get("/api/v1/me", headers=auth), 401, "unauthorized")


def test_a_token_dies_when_the_account_is_disabled(app, client, world):
    token = _token(client, world.emails["employee_a"])
    update_user(app, world.emails["employee_a"], status=AccountStatus.DISABLED)
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    _assert_error(resp, 401, "unauthorized")


def test_a_mailed_link_token_is_not_an_api_token(app, client, world):
    with app.test_request_context(), acting_as(db.session, world.muni_a):
        user = db.session.get(User, world.employee_a)
        link_token = tokens.make_token(user, tokens.RESET)
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {link_token}"})
    _assert_error(resp, 401, "unauthorized")


def test_the_proxy_setting_believes_only_its_own_hop(app, world):
    proxied = _same_db_app(app, TRUSTED_PROXY_COUNT=1)
    c = proxied.test_client()
    seen = []
    proxied.before_request(lambda: seen.append(__import__("flask").request.remote_addr))
    c.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"})
    assert seen == ["198.51.100.7"]  # the hop our proxy added, not what the client claimed
