"""The participant's report (受講報告) and its acknowledgement (確認).

Above the heads of unit (whose routing decides who acknowledges a report).
"""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from regional.reports import views  # noqa: E402, F401
