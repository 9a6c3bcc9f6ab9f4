"""Matrix cases: registrations."""

from tests.matrix import Case

CASES: list[Case] = []
