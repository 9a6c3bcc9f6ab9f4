"""Flask CLI commands (``flask --app wsgi ...``); names and options are a public contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from regional.cronlock import one_run_at_a_time
from regional.extensions import db
from tenants import set_current_tenant
from tenants.models import Municipality
from tenants.region import RegionFileError, load_region

ROOT = Path(__file__).resolve().parent.parent


def init_cli(app: Flask) -> None:
    app.cli.add_command(seed_region)
    app.cli.add_command(analyze)
    app.cli.add_command(users)
    app.cli.add_command(translate)
    app.cli.add_command(send_mail)
    from regional.backup import backup_command, restore_command
    from regional.demo import seed_demo
    from regional.registrations.digest import send_digest
    from regional.registrations.interests import notify_interested_command
    from regional.registrations.reminders import release_seats, send_reminders
    from regional.surveys.commands import send_survey_followups, send_survey_reminders

    app.cli.add_command(seed_demo)
    app.cli.add_command(send_reminders)
    app.cli.add_command(release_seats)
    app.cli.add_command(send_survey_reminders)
    app.cli.add_command(send_survey_followups)
    app.cli.add_command(notify_interested_command)
    app.cli.add_command(send_digest)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from regional.growth.upkeep import files_cli

    app.cli.add_command(files_cli)


@click.command("seed-region")
@click.option("--file", "path", default=None, help="Member list (TOML); defaults to REGION_FILE.")
def seed_region(path: str | None) -> None:
    """Load the region's municipalities and the policy's catalogue; safe to run again."""
    from regional.catalogue.services import load_policy_catalogue
    from regional.targets.services import load_policy_targets
    from regional.targets.tallies import setting_up

    try:
        created, updated = load_region(db.session, path or current_app.config["REGION_FILE"])
    except (RegionFileError, OSError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    # The catalogue and measures loaded at set-up are the rules from the start (not today).
    with setting_up(db.session):
        areas, programs = load_policy_catalogue()
        targets = load_policy_targets(db.session)
        db.session.commit()
    from regional.database import refresh_statistics

    refresh_statistics()
    click.echo(
        f"municipalities: {created} added, {updated} updated; "
        f"skill areas: {areas} added; programmes: {programs} added; targets: {targets} added"
    )


@click.command("analyze")
def analyze() -> None:
    """Refresh the query planner's statistics (after bulk imports; SQLite: from cron, weekly)."""
    from regional.database import refresh_statistics

    refresh_statistics()
    click.echo("planner statistics refreshed")


users = AppGroup("users", help="Manage accounts.")


@users.command("create")
@click.option("--municipality", "code", required=True, help="Six-digit municipality code.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["employee", "coordinator", "regional_admin"]),
)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--employee-number", default=None)
def users_create(code: str, role: str, email: str, name: str, employee_number: str | None) -> None:
    """Create an account; the password is read from standard input (one line)."""
    from regional.auth.passwords import hash_password, password_problems
    from regional.people.models import AccountStatus, Role, User

    municipality = db.session.scalar(Municipality.by_code(code))
    if municipality is None:
        raise click.ClickException(f"unknown municipality code {code!r} (run seed-region first?)")
    if role == "regional_admin" and not municipality.coordinating:
        raise click.ClickException(
            "regional administrators belong to the coordinating municipality"
        )
    password = sys.stdin.readline().rstrip("\r\n")
    problems = password_problems(password, [email, name])
    if problems:
        raise click.ClickException(" ".join(problems))
    set_current_tenant(db.session, municipality.id)
    user = User(
        email=email.strip().lower(),
        name=name.strip(),
        employee_number=employee_number,
        role=Role(role),
        status=AccountStatus.ACTIVE,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise click.ClickException("an account with this e-mail or employee number exists") from exc
    click.echo(f"created {role} {user.email} in {municipality.code} {municipality.name_ja}")


@click.command("send-mail")
@one_run_at_a_time("send-mail")
def send_mail() -> None:
    """Deliver queued mail (for cron; also retries after a failure)."""
    from regional.mail.services import deliver_outbox

    click.echo(f"sent {deliver_outbox()} message(s)")


translate = AppGroup("translate", help="Translation catalogues (wraps pybabel).")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)  # noqa: S603


@translate.command("update")
def translate_update() -> None:
    """Extract messages and merge them into every catalogue."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--sort-by-file", "-o", "messages.pot", ".")
    _pybabel(
        "update",
        "-i",
        "messages.pot",
        "-d",
        "translations",
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
    (ROOT / "messages.pot").unlink()


@translate.command("init")
@click.argument("lang")
def translate_init(lang: str) -> None:
    """Start a catalogue for a new language."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-o", "messages.pot", ".")
    _pybabel("init", "-i", "messages.pot", "-d", "translations", "-l", lang)
    (ROOT / "messages.pot").unlink()


@translate.command("compile")
def translate_compile() -> None:
    """Compile every catalogue."""
    _pybabel("compile", "-d", "translations")
