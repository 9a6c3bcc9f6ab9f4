"""A real S3 endpoint over HTTP for the object-store back end: moto's server, in a thread.

``s3_endpoint`` (one per run) sets the usual AWS environment variables (test credentials,
a region) as the application would read them in production; ``s3_bucket`` makes a new,
empty bucket per test and yields the settings that point the application at it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "regional-test",
    "AWS_SECRET_ACCESS_KEY": "regional-test-secret",
    "AWS_DEFAULT_REGION": "ap-northeast-1",
}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    saved = {k: os.environ.get(k) for k in AWS_ENV}
    os.environ.update(AWS_ENV)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def make_bucket(endpoint: str) -> str:
    import boto3

    name = f"regional-files-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name=AWS_ENV["AWS_DEFAULT_REGION"])
    client.create_bucket(
        Bucket=name,
        CreateBucketConfiguration={"LocationConstraint": AWS_ENV["AWS_DEFAULT_REGION"]},
    )
    return name


@pytest.fixture
def s3_settings(s3_endpoint) -> dict[str, str]:
    """Settings of a new, empty bucket: ``FILES_STORAGE=s3`` and where."""
    return {
        "FILES_STORAGE": "s3",
        "FILES_S3_BUCKET": make_bucket(s3_endpoint),
        "FILES_S3_ENDPOINT_URL": s3_endpoint,
        "FILES_S3_PREFIX": "uploads",
    }
