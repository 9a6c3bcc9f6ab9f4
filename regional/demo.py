"""Demonstration data (``flask --app wsgi seed-demo``)."""

import click


@click.command("seed-demo")
def seed_demo() -> None:
    """Add demonstration people, org units, sessions and history; prints the demo sign-ins."""
    raise click.ClickException("not yet available")
