"""Response headers (a strict Content-Security-Policy and the usual hardening) and the
trusted reverse proxy, so that the sign-in throttle sees each visitor's own address."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def register_security_headers(app: Flask) -> None:
    """Add the security headers to every answer; believe only the configured proxies."""
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        # Only as many X-Forwarded-* hops as there are proxies of ours: a client cannot
        # forge its address (and dodge the per-address throttle) by sending the header itself.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    elif app.config.get("REGIONAL_ENV") == "production":
        _warn_of_an_unbelieved_proxy(app)

    @app.after_request
    def _headers(resp: Response) -> Response:
        h = resp.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static" and "Cache-Control" not in h:
            h["Cache-Control"] = "no-store"
        return resp


def _warn_of_an_unbelieved_proxy(app: Flask) -> None:
    """Log once (per worker) when a proxy forwards requests but TRUSTED_PROXY_COUNT is 0."""
    warned = False

    @app.before_request
    def _check_forwarded() -> None:
        nonlocal warned
        if warned or "X-Forwarded-For" not in request.headers:
            return
        warned = True
        # Behind our proxy every visitor then has the proxy's address: one sign-in throttle
        # for the region, and logs that cannot tell a town hall from an attacker. (A
        # client's own forward proxy also sends the header, hence "if".) Its value is not
        # logged: a client may have written it.
        log.warning(
            "requests arrive with X-Forwarded-For but TRUSTED_PROXY_COUNT is 0: if our own "
            "reverse proxy sets it, every visitor appears to come from %r and all share one "
            "sign-in throttle; set TRUSTED_PROXY_COUNT=1 behind one nginx "
            "(README: Running in production, step 8)",
            request.remote_addr,
        )
