"""Shared fixtures: the blog built once per run, S3 on loopback, and an
execution environment of the tests' own (helpers.py has the plain functions)."""

import os

import pytest

from helpers import (
    BUILDS_LOG,
    CONTENT,
    PRODUCTION,
    S3_CREDENTIALS,
    BuiltSite,
    build_site,
    built_once,
    invoke,
    shared_temp,
)

WHOLE_BLOG_BUILDS = "whole-blog-builds.log"


def pytest_terminal_summary(terminalreporter, config):
    # (pytest's own factory, as xdist finds its workers' directories with it)
    log = shared_temp(config._tmp_path_factory) / WHOLE_BLOG_BUILDS
    builds = log.read_text().splitlines() if log.exists() else []
    terminalreporter.write_line(f"whole-blog builds this run: {len(builds)}")
    for build in builds:
        terminalreporter.write_line(f"  {build}")


@pytest.fixture(scope="session", autouse=True)
def counted_builds(tmp_path_factory):
    """Every build of the whole blog is logged, for the summary to count."""
    os.environ[BUILDS_LOG] = str(shared_temp(tmp_path_factory) / WHOLE_BLOG_BUILDS)


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
    """The real blog, built once a run from a clean execution cache, for
    every worker: read it, never change it."""

    def build(directory):
        state = {"EXEC_STATE_DIR": str(directory / "state")}
        return build_site(CONTENT, directory / "output", env=state)

    directory, result = built_once(tmp_path_factory, "site", build)
    assert result.returncode == 0, result.stdout + result.stderr
    return BuiltSite(directory / "output", result)


@pytest.fixture(scope="session")
def site_url(site):
    """The session's site over HTTP, as reader_view serves it to Chromium."""
    from reader_view import served

    with served(site.output) as url:
        yield url


@pytest.fixture(scope="session")
def production_site(site, tmp_path_factory) -> BuiltSite:
    """The real blog built once a run by ``invoke preview`` (publishconf.py)
    with SITEURL set, from the development build's execution cache."""
    development = site.output.parent

    def build(directory):
        env = {
            "SITEURL": PRODUCTION + "/",  # (the trailing slash is dropped)
            "EXEC_CACHE": str(development / "output-cache"),
            "EXEC_STATE_DIR": str(development / "state"),
            "EXEC_REPORT": str(directory / "output-report.json"),
        }
        return invoke("preview", "--output", str(directory / "output"), env=env)

    directory, result = built_once(tmp_path_factory, "production", build)
    assert result.returncode == 0, result.stdout + result.stderr
    return BuiltSite(directory / "output", result)


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


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    """A cloudcached storage backend: a directory, then a bucket on moto."""
    from cloudcached.backends import LocalBackend, S3Backend

    if request.param == "local":
        return LocalBackend(tmp_path / "cache")
    s3, bucket = request.getfixturevalue("s3"), request.getfixturevalue("bucket")
    return S3Backend(s3, bucket, "cloudcached/")
