"""Matrix cases: api_people."""

from tests.matrix import Case

CASES: list[Case] = []
