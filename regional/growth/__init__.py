"""Growth beyond courses: qualifications, on-the-job training, learning materials, certificates.

``bp`` serves the pages under ``/growth``; the route modules are imported at
the bottom so that no two of them import each other.
"""

from flask import Blueprint

bp = Blueprint("growth", __name__)

from regional.growth import (  # noqa: E402, F401
    views_certificates,
    views_materials,
    views_ojt,
    views_qualifications,
)
