"""Matrix cases: api_sessions."""

from tests.matrix import Case

CASES: list[Case] = []
