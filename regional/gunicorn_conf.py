"""gunicorn settings for the training platform, read from the environment.

    gunicorn -c python:regional.gunicorn_conf 'regional:create_app()'   # installed wheel
    gunicorn -c gunicorn.conf.py wsgi:app                              # checkout

Workers are stateless: nothing survives between requests in process memory
(sessions are signed cookies, sign-in throttling and the mail outbox live in
the database), so any worker may answer any request and a killed worker loses
nothing that was committed. ``preload_app`` stays off: each worker imports the
app itself and opens its own database pool after the fork, never sharing a
connection inherited from the master.

Environment:

``BIND``               address(es) to listen on, comma-separated (wins over HOST/PORT)
``HOST`` / ``PORT``    default 127.0.0.1 and 8000 (a reverse proxy sits in front)
``WEB_CONCURRENCY``    worker processes; default 2 x CPUs + 1, at most ``MAX_WORKERS`` (8)
``GUNICORN_THREADS``   threads per worker; above 1 the gthread worker is used
``GUNICORN_TIMEOUT``   seconds before a silent worker is killed and replaced (60)
``GUNICORN_GRACEFUL_TIMEOUT``  seconds a worker may finish its requests on restart (30)
``FORWARDED_ALLOW_IPS``  proxies whose X-Forwarded-Proto is believed (127.0.0.1,::1);
                       pair it with the app's ``TRUSTED_PROXY_COUNT`` for client addresses
``LOG_LEVEL``          gunicorn's error-log level (info)
"""

from __future__ import annotations

import os

from gunicorn.glogging import Logger


def _int(name: str, default: int, low: int = 1, high: int = 1024) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        value = default
    return max(low, min(high, value))


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this container may really use
    except AttributeError:
        return os.cpu_count() or 1


# -- where to listen ---------------------------------------------------------
bind = [b.strip() for b in os.environ.get("BIND", "").split(",") if b.strip()] or [
    f"{os.environ.get('HOST', '127.0.0.1')}:{_int('PORT', 8000, 1, 65535)}"
]

# -- processes ---------------------------------------------------------------
MAX_WORKERS = _int("MAX_WORKERS", 8)
workers = _int("WEB_CONCURRENCY", min(2 * _cpus() + 1, MAX_WORKERS), 1, 64)
threads = _int("GUNICORN_THREADS", 1, 1, 32)
# Sync workers by default: password hashing is CPU- and memory-heavy (Argon2id), and one
# request per process keeps that predictable. A few threads help when requests mostly wait.
worker_class = "gthread" if threads > 1 else "sync"
preload_app = False  # each worker opens its own database pool after the fork

timeout = _int("GUNICORN_TIMEOUT", 60, 5, 600)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30, 1, 600)
keepalive = _int("GUNICORN_KEEPALIVE", 5, 1, 75)
# Recycle workers now and then (a slow leak cannot grow forever); jitter avoids all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000, 0, 1_000_000)
max_requests_jitter = max(1, max_requests // 10)

# Request limits: nothing legitimate needs more (uploads are limited by the app).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# -- proxies -----------------------------------------------------------------
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# -- logs --------------------------------------------------------------------
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
errorlog = "-"
accesslog = "-"
# Path only: no query string, no referrer, no headers. Links in mail carry secrets in the
# path, which the logger class below masks; the format is fixed on purpose.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


def redact_path(path: str) -> str:
    """A request path with token-like segments masked (the application's one rule)."""
    from regional.redaction import redact_path as _redact

    return _redact(path)


class RedactingLogger(Logger):
    """gunicorn's logger, with secrets masked in every atom a format could name."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO", ""))
        atoms["U"] = path
        atoms["r"] = (
            f"{environ.get('REQUEST_METHOD', '-')} {path} {environ.get('SERVER_PROTOCOL', '-')}"
        )
        atoms["q"] = "-"
        atoms["f"] = "-"
        # Header and environ atoms ({name}i, {name}o, {name}e) can carry cookies, tokens
        # and raw URIs; the format uses none of them, so none are offered.
        return {k: v for k, v in atoms.items() if not k.startswith("{")}


logger_class = RedactingLogger
