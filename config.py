"""Checkout-only alias: the settings live in ``regional/config.py`` (shipped in the wheel)."""

from regional.config import *  # noqa: F403
from regional.config import config_from_env  # noqa: F401
