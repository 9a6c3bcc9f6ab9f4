"""Settings per environment, read from the environment (see README: Settings).

Nothing here writes to disk: importing this module has no side effects. The
development key is generated when the app is created (see
:func:`development_secret`), and production refuses to start without
``SECRET_KEY`` instead of inventing one.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: The checkout's root when running from the repository (``make demo``, the tests).
SOURCE_ROOT = PACKAGE_DIR.parent
#: Where a built wheel carries the migrations and the compiled catalogues (see setup.py).
BUNDLED_DIR = PACKAGE_DIR / "_bundled"
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH") or Path.cwd() / "instance")


def resource_dir(name: str) -> Path:
    """``migrations`` or ``translations``: the wheel's bundled copy, else the checkout's folder."""
    bundled = BUNDLED_DIR / name
    return bundled if bundled.is_dir() else SOURCE_ROOT / name


def _package_path(package: str) -> Path:
    spec = importlib.util.find_spec(package)  # found, not imported
    assert spec is not None and spec.origin is not None, package
    return Path(spec.origin).parent


def development_secret() -> str:
    """A key generated once into the instance folder; for local development only."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'regional.sqlite3'}"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Production defaults; every value can be overridden from the environment."""

    #: Which of CONFIGS this is (the name ``REGIONAL_ENV`` chose).
    REGIONAL_ENV = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    #: Only development may invent a key (at app creation, into the instance folder).
    GENERATE_SECRET_KEY = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _default_database_url()
    #: No ping before each checkout (a round trip per request, issue 19): a connection
    #: found dead in use is thrown away with every pooled one older than it (the request
    #: answers 503, the next ones connect afresh), and none is kept past 5 minutes, below the
    #: idle timeouts of the firewalls and poolers usually found between the two machines.
    #: faults/run.py database-outage stays green without the ping (faults/README.md).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False, "pool_recycle": 300}
    #: At start-up on PostgreSQL, refuse a superuser, BYPASSRLS or owning role (production).
    CHECK_DATABASE_ROLE = True
    #: SQLite: how long a writer waits for the write lock before "database is locked" (then
    #: the request answers 503 with Retry-After). Long by default: a wait is better than a 503.
    SQLITE_BUSY_TIMEOUT_MS = max(
        0, min(600_000, int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS") or 30_000))
    )
    #: The tables' owner, for ``flask db upgrade`` only; DATABASE_URL is then the runtime role
    #: that owns nothing, so PostgreSQL's row-level security applies to the application.
    MIGRATION_DATABASE_URL = os.environ.get("MIGRATION_DATABASE_URL")
    # Where the region's member list comes from; another alliance points this at its own file.
    REGION_FILE = os.environ.get(
        "REGION_FILE", str(_package_path("tenants") / "data" / "okayama.toml")
    )

    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    BABEL_TRANSLATION_DIRECTORIES = str(resource_dir("translations"))
    LANGUAGES = ("ja", "en")

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "regional_session"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # uploads (rosters, attendance sheets) stay small

    API_TOKEN_MAX_AGE = 12 * 3600

    # Mail: "console" prints messages (local use); "smtp" delivers through MAIL_SERVER.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    # "immediate": deliver after the request commits; "deferred": leave it to `send-mail` (cron).
    MAIL_DELIVERY = os.environ.get("MAIL_DELIVERY", "immediate")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "研修ポータル <no-reply@training.okayama-renkei.example>"
    )
    # A message the mail server refuses for now (4xx, no connection, a time-out) is tried
    # again after a minute (the cron interval), then twice as long each time up to an hour:
    # a server away for an afternoon is tried hourly rather than hammered, and its mail
    # leaves within the hour of its return. After 72 hours of this (a relay down from
    # Friday evening to Monday morning still delivers) the message is failed and shown
    # to the coordinator: a notice about a session days away is worth more late than
    # never, but one still stuck after three days is for a person to look at (RFC 5321
    # 4.5.4.1 asks a mail server for 4-5 days; our relay queues for as long itself).
    MAIL_RETRY_FIRST_SECONDS = 60
    MAIL_RETRY_LONGEST_SECONDS = 3600
    MAIL_RETRY_HOURS = 72
    # Absolute base for links in mail and calendar feeds (no request to derive it from in cron).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # Failed sign-ins (regional/auth/throttle.py). Past the free attempts each failure doubles
    # the wait (1 s, 2 s, 4 s ...) up to the longest delay: people are slowed, never locked out.
    # One account from one address: a person who mistypes (caps lock, the old password) rarely
    # needs more than two or three tries; five leave room, and a guesser there is slowed first.
    LOGIN_FREE_ATTEMPTS = 5
    # One account from every address: twice the room, so a guesser at one address, already
    # slowed by the pair's delays, does not also use up the owner's own tries at their desk;
    # guessing spread over many addresses still meets growing delays after ten.
    LOGIN_ACCOUNT_FREE_ATTEMPTS = 10
    LOGIN_MAX_DELAY_SECONDS = 15 * 60
    # One client address, per hour: the failures nobody followed with a correct sign-in (a
    # mistyped e-mail address, a forgotten password, guesses). On LGWAN a whole town hall
    # shares one address: the largest member has a few thousand staff, and on the morning
    # a popular programme opens perhaps a thousand sign in within the hour; if one in twenty
    # of them leaves such a failure behind, that is 50 an hour, and 100 is twice that. Even
    # past it a correct password passes; only wrong ones are told to wait.
    LOGIN_ADDRESS_FREE_ATTEMPTS = 100
    LOGIN_ADDRESS_WINDOW_SECONDS = 3600
    # Reverse proxies in front of gunicorn whose X-Forwarded-For/-Proto are believed (0: none).
    # Without it every visitor has the proxy's address and shares one sign-in throttle.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

    # Completion certificates: a TrueType font with 𠮷 and 髙 (Debian's fonts-ipamj-mincho),
    # and how many unknown codes one address may try before the public check slows it down.
    CERTIFICATE_FONT = os.environ.get(
        "CERTIFICATE_FONT", "/usr/share/fonts/truetype/ipamj/ipamjm.ttf"
    )
    CERTIFICATE_FREE_LOOKUPS = 10
    # Learning materials and certificate scans: where they are kept (default: instance/files,
    # never under static) and how large one may be (the request limit above still applies).
    GROWTH_FILES_DIR = os.environ.get("GROWTH_FILES_DIR") or str(INSTANCE_DIR / "files")
    GROWTH_MAX_UPLOAD_BYTES = 4 * 1024 * 1024
    # Where those files live (regional/growth/storage.py): "local", the folder above (one
    # application machine), or "s3", a bucket of an S3-compatible object store that several
    # machines share. Credentials come from the usual AWS environment variables
    # (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or files, never from here.
    FILES_STORAGE = (os.environ.get("FILES_STORAGE") or "local").strip().lower()
    FILES_S3_BUCKET = os.environ.get("FILES_S3_BUCKET")
    FILES_S3_ENDPOINT_URL = os.environ.get("FILES_S3_ENDPOINT_URL") or None
    FILES_S3_PREFIX = os.environ.get("FILES_S3_PREFIX", "")
    FILES_S3_REGION = os.environ.get("FILES_S3_REGION") or None


class DevelopmentConfig(Config):
    """Local demo: SQLite in the instance folder, mail printed to the console."""

    REGIONAL_ENV = "development"
    DEBUG = True
    CHECK_DATABASE_ROLE = False
    GENERATE_SECRET_KEY = True
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")


class TestingConfig(Config):
    """The test suite: its own database, fast password hashing, no secure-cookie requirement."""

    REGIONAL_ENV = "testing"
    TESTING = True
    CHECK_DATABASE_ROLE = False  # tests/test_rls.py turns it on
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MIGRATION_DATABASE_URL = None  # tests/conftest.py sets the owner's on PostgreSQL
    # Uploaded files go to the temporary folder (random names), never the instance folder.
    GROWTH_FILES_DIR = os.path.join(tempfile.gettempdir(), "regional-test-files")
    FILES_STORAGE = "local"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 0  # tests that send mail start an SMTP server and set the port
    PASSWORD_HASH_FAST = True


CONFIGS = {
    "development": DevelopmentConfig,
    "production": Config,
    "testing": TestingConfig,
}


def config_from_env() -> type[Config]:
    return CONFIGS[os.environ.get("REGIONAL_ENV", "production")]
