"""Matrix cases: admin."""

from tests.matrix import Case

CASES: list[Case] = []
