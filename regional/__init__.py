"""The regional training platform: the application factory.

Read ``create_app`` as the table of contents of the application.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from regional.config import config_from_env, development_secret, resource_dir


def create_app(config: type | dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` (a class or a mapping) overrides the environment's settings."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_from_env())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _check_config(app)
    register_logging(app)
    register_extensions(app)
    if app.config.get("CHECK_DATABASE_ROLE"):
        from regional.database import check_database_role

        check_database_role(app)  # production: never as a role that walks through the wall
    register_tenancy(app)
    register_i18n(app)
    register_input_guards(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_security(app)
    register_commands(app)
    return app


def _check_config(app: Flask) -> None:
    """Refuse to start without a signing key (only development may generate one, on disk)
    or with file storage settings that name no usable back end."""
    if not app.config.get("SECRET_KEY"):
        if not app.config.get("GENERATE_SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set (see README: Settings)")
        app.config["SECRET_KEY"] = development_secret()
    from regional.growth.storage import check_settings

    check_settings(app)  # FILES_STORAGE names a back end it can use


def register_logging(app: Flask) -> None:
    from regional.redaction import install_traceback_redaction

    install_traceback_redaction()  # a traceback quoting a reset link masks its token
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )


def register_extensions(app: Flask) -> None:
    import regional.models  # noqa: F401  (the whole schema, for the ORM and Alembic)
    from regional.database import init_database
    from regional.extensions import csrf, db, migrate

    init_database(app)
    # Progress figures move in the same flush as the records they count.
    from regional.people.history import install_history
    from regional.targets.tallies import install_tallies

    install_tallies()
    # A person's unit over time moves in the same flush as their unit or status.
    install_history()
    # A person who leaves loses their future registrations in the same transaction.
    from regional.registrations.leavers import install_departures

    install_departures()
    # A participant marked attended is asked for the survey in the same transaction.
    from regional.surveys import install_surveys

    install_surveys()
    # An edited record's version moves in the same flush as the change (regional.versions).
    from regional.versions import install_versions

    install_versions()
    # A person's own application waits for their head of unit first, where asked for.
    from regional.heads import init_app as install_head_step

    install_head_step(app)
    migrate.init_app(app, db, directory=_migrations_dir(), render_as_batch=True, compare_type=True)
    csrf.init_app(app)


def _migrations_dir() -> str:
    return str(resource_dir("migrations"))


def register_tenancy(app: Flask) -> None:
    from regional.auth.loader import init_login
    from regional.tenancy import begin_request, resolve_tenant

    app.before_request(begin_request)
    init_login(app)
    app.before_request(resolve_tenant)


def register_i18n(app: Flask) -> None:
    from regional.i18n import init_i18n

    init_i18n(app)


def register_input_guards(app: Flask) -> None:
    """Bounded ``<int:...>`` ids (404 past the database's range); NUL bytes refused (400)."""
    from regional.validation import BoundedIntConverter, refuse_nul_bytes

    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_nul_bytes)


def register_blueprints(app: Flask) -> None:
    from regional.admin.views import bp as admin_bp
    from regional.api import bp as api_bp
    from regional.audit.views import bp as audit_bp
    from regional.auth.views import bp as auth_bp
    from regional.catalogue import bp as catalogue_bp
    from regional.dashboards import bp as dashboards_bp
    from regional.extensions import csrf
    from regional.growth import bp as growth_bp
    from regional.heads import bp as heads_bp
    from regional.main.views import bp as main_bp
    from regional.notices import bp as notices_bp
    from regional.outbox.views import bp as mail_bp
    from regional.people import bp as people_bp
    from regional.records import bp as records_bp

    # Importing the top package adds its pages to the lower packages' blueprints too
    # (a session's pages, a programme's, a person's): see regional/registrations/__init__.py.
    from regional.registrations import bp as registrations_bp
    from regional.reports import bp as reports_bp
    from regional.sessions import bp as sessions_bp
    from regional.surveys import bp as surveys_bp
    from regional.targets import bp as targets_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(people_bp, url_prefix="/people")
    app.register_blueprint(catalogue_bp, url_prefix="/catalogue")
    app.register_blueprint(sessions_bp, url_prefix="/sessions")
    app.register_blueprint(registrations_bp, url_prefix="/registrations")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(audit_bp, url_prefix="/audit")
    app.register_blueprint(growth_bp, url_prefix="/growth")
    app.register_blueprint(targets_bp, url_prefix="/targets")
    app.register_blueprint(records_bp, url_prefix="/records")
    app.register_blueprint(dashboards_bp, url_prefix="/progress")
    app.register_blueprint(mail_bp, url_prefix="/mail")
    app.register_blueprint(heads_bp, url_prefix="/heads")
    app.register_blueprint(surveys_bp, url_prefix="/surveys")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(notices_bp, url_prefix="/notices")
    # The API authenticates with bearer tokens only (never the cookie), so CSRF cannot apply.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")


def register_errorhandlers(app: Flask) -> None:
    from regional.main.errors import init_errors

    init_errors(app)


def register_template_helpers(app: Flask) -> None:
    from regional.main.helpers import init_template_helpers

    init_template_helpers(app)


def register_security(app: Flask) -> None:
    from regional.mail.services import deliver_committed
    from regional.security import register_security_headers

    register_security_headers(app)

    @app.after_request
    def _deliver_mail(resp):
        deliver_committed()
        return resp


def register_commands(app: Flask) -> None:
    from regional.cli import init_cli

    init_cli(app)
