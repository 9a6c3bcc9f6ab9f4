"""The checkout's gunicorn settings: those of ``regional/gunicorn_conf.py``, shipped in the wheel.

gunicorn -c gunicorn.conf.py wsgi:app                              # from the checkout
gunicorn -c python:regional.gunicorn_conf 'regional:create_app()'  # from an installed wheel
"""

from regional.gunicorn_conf import *  # noqa: F403
