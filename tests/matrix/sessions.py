"""Matrix cases: sessions."""

from tests.matrix import Case

CASES: list[Case] = []
