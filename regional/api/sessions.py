"""API: sessions (see ../shared/API.md)."""

from regional.api import bp  # noqa: F401
