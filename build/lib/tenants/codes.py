"""全国地方公共団体コード: six digits, the last a check digit."""

from __future__ import annotations


def check_digit(first_five: str) -> int:
    """The check digit for the first five digits (weights 6,5,4,3,2; mod 11)."""
    weights = (6, 5, 4, 3, 2)
    total = sum(int(d) * w for d, w in zip(first_five, weights, strict=True))
    return (11 - total % 11) % 10


def is_valid_code(code: str) -> bool:
    """True for a well-formed six-digit local-government code with a correct check digit."""
    return (
        isinstance(code, str)
        and len(code) == 6
        and code.isascii()
        and code.isdigit()
        and check_digit(code[:5]) == int(code[5])
    )
