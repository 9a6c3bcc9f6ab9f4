"""Tokens, the signed-in person, and the member list."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from regional.api import bp
from regional.api.common import field, json_body, require_login
from regional.auth import throttle
from regional.auth.services import authenticate
from regional.auth.tokens import api_token
from regional.errors import DomainError
from regional.extensions import db
from tenants.models import Municipality


@bp.post("/auth/token")
def token():
    data = json_body()
    email = field(data, "email", str, max_len=254)
    password = field(data, "password", str, max_len=128, text=False)
    result = authenticate(email, password, request.remote_addr)
    if result.retry_after:
        resp = jsonify(
            {
                "error": {
                    "code": "throttled",
                    "message": str(throttle.wait_message(result.retry_after, sign_in=True)),
                }
            }
        )
        resp.status_code = 429
        resp.headers["Retry-After"] = str(result.retry_after)
        return resp
    if result.user is None:
        raise DomainError(
            "invalid_credentials", _("The e-mail address or password is not correct."), status=401
        )
    value, expires_at = api_token(result.user)
    return {"token": value, "expires_at": expires_at}


def user_json(user) -> dict:
    unit = user.org_unit
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "municipality_code": user.municipality.code,
        "roles": user.roles,
        "org_unit": unit.path() if unit else None,
    }


@bp.get("/me")
@require_login
def me():
    return user_json(current_user)


def municipality_json(m: Municipality) -> dict:
    return {
        "code": m.code,
        "name_ja": m.name_ja,
        "name_en": m.name_en,
        "kind": m.kind.value,
        "coordinating": m.coordinating,
    }


@bp.get("/municipalities")
@require_login
def municipalities():
    rows = db.session.scalars(select(Municipality).order_by(Municipality.code))
    return {"items": [municipality_json(m) for m in rows]}
