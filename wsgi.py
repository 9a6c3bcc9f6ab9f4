"""Entry point for gunicorn and the Flask CLI: `flask --app wsgi ...`."""

from regional import create_app

app = create_app()
