import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)  # keep regional.audit alive
logger = logging.getLogger("alembic.env")


_owner_engines = {}


def get_engine():
    # Migrations run as the owner of the tables; the application may connect as a runtime
    # role that owns nothing (PostgreSQL row-level security). See README: Running in production.
    owner_url = current_app.config.get("MIGRATION_DATABASE_URL")
    if owner_url:
        if owner_url not in _owner_engines:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            _owner_engines[owner_url] = create_engine(owner_url, poolclass=NullPool)
        return _owner_engines[owner_url]
    try:
        # this works with Flask-SQLAlchemy<3 and Alchemical
        return current_app.extensions["migrate"].db.engine
    except (TypeError, AttributeError):
        # this works with Flask-SQLAlchemy>=3
        return current_app.extensions["migrate"].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def include_name(name, type_, parent_names):
    """What the models do not describe and autogenerate must leave alone: the catalogue's
    search index per database (9b3f6c2d1a47): SQLite's FTS5 table and its shadow tables,
    PostgreSQL's trigram indexes."""
    name = name or ""
    if type_ == "table":
        return not name.startswith("programs_fts")
    return not (type_ == "index" and name.endswith("_trgm"))


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives
    if conf_args.get("include_name") is None:
        conf_args["include_name"] = include_name

    # Remember whether this run changed the schema: new indexes need fresh planner statistics.
    applied = []
    if conf_args.get("on_version_apply") is None:
        conf_args["on_version_apply"] = lambda **kw: applied.append(kw["step"])

    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        with context.begin_transaction():
            context.run_migrations()
            _rebuild_tallies(connection)
            # The key that lifts the wall, for the SECRET_KEY of these settings (tenants/rls.py).
            from tenants.rls import register_wall_key

            register_wall_key(connection, current_app.config["SECRET_KEY"])
            if applied:
                from regional.database import refresh_planner_statistics

                refresh_planner_statistics(connection)


def _rebuild_tallies(connection):
    """A migration that changed how figures are counted asks for this: the derived progress
    tables computed again from the records by the code of the head revision (only there:
    an older revision's schema is not what today's code writes)."""
    if not config.attributes.pop("rebuild_tallies", False):
        return
    heads = set(context.script.get_heads())
    current = set(context.get_context().get_current_heads())
    if current != heads:
        logger.warning("Progress figures will be computed when the database reaches the head.")
        return
    from regional.targets.tallies import rebuild

    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT set_config('app.all_tenants', 'on', true)")
    rebuild(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
