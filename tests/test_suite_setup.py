"""The suite's own set-up: one database per test process (pytest-xdist workers)."""

from tests.conftest import worker_database_url


def test_each_worker_has_a_postgresql_database_of_its_own():
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/regional_test"
    assert worker_database_url(url, "gw0").endswith("/regional_test_gw0")
    assert worker_database_url(url, "gw1").endswith("/regional_test_gw1")
    assert worker_database_url(url, None) == url


def test_the_password_survives_the_rename():
    url = "postgresql+psycopg://owner:s3cret@db.example:5432/regional_test"
    assert worker_database_url(url, "gw3") == (
        "postgresql+psycopg://owner:s3cret@db.example:5432/regional_test_gw3"
    )
