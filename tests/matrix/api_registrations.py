"""Matrix cases: api_registrations."""

from tests.matrix import Case

CASES: list[Case] = []
