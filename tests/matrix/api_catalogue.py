"""Matrix cases: api_catalogue."""

from tests.matrix import Case

CASES: list[Case] = []
