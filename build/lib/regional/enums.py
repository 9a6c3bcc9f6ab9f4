"""Small helpers shared by the models."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def str_enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    """A portable enum column storing the member's value as text (checked in the database)."""
    return Enum(
        cls,
        native_enum=False,
        length=length,
        create_constraint=True,
        values_callable=lambda e: [m.value for m in e],
    )
