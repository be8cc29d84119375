"""Shared fixtures: the site built once per session, S3 on loopback, and an
execution environment of the tests' own (helpers.py has the plain functions)."""

import os

import pytest
from helpers import ROOT, S3_CREDENTIALS, BuiltSite, build_site


@pytest.fixture(scope="session", autouse=True)
def isolated_execution(tmp_path_factory):
    """Builds the tests start never touch the repository's cache, keys or
    report, and hold no key of the caller's."""
    scratch = tmp_path_factory.mktemp("execution")
    names = (
        "EXEC_CACHE",
        "EXEC_REPORT",
        "EXEC_STATE_DIR",
        "EXEC_CACHE_SIGNING_KEY",
        "EXEC_CACHE_TRUSTED_KEYS",
        "EXEC_CACHE_READONLY",
        "EXEC_CACHE_KEYS",
    )
    saved = {name: os.environ.pop(name, None) for name in names}
    os.environ["EXEC_CACHE"] = str(scratch / "cache")
    os.environ["EXEC_REPORT"] = str(scratch / "report.json")
    os.environ["EXEC_STATE_DIR"] = str(scratch / "state")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> BuiltSite:
    """The real blog, built once from a clean execution cache."""
    output = tmp_path_factory.mktemp("site") / "output"
    result = build_site(ROOT / "content", output)
    assert result.returncode == 0, result.stdout + result.stderr
    return BuiltSite(output)


@pytest.fixture(scope="session")
def s3_server():
    """moto's standalone S3 server on loopback, reached over real HTTP."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_server) -> dict:
    """Environment variables that point boto3 (in any process) at the server."""
    return {**S3_CREDENTIALS, "AWS_ENDPOINT_URL": s3_server}


@pytest.fixture
def s3(s3_env):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=s3_env["AWS_ENDPOINT_URL"],
        region_name=s3_env["AWS_DEFAULT_REGION"],
        aws_access_key_id=s3_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=s3_env["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def bucket(s3, request) -> str:
    """A new, empty bucket for the test."""
    import hashlib

    name = "b-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20]
    s3.create_bucket(Bucket=name)
    return name
