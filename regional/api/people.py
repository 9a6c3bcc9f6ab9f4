"""API: people (see ../shared/API.md)."""

from regional.api import bp  # noqa: F401
