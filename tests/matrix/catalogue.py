"""Matrix cases: catalogue."""

from tests.matrix import Case

CASES: list[Case] = []
