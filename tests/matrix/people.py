"""Matrix cases: people."""

from tests.matrix import Case

CASES: list[Case] = []
