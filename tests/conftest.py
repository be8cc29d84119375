"""Shared fixtures: the site built once per session, and a way to build others."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree, html

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: str, cwd: Path = ROOT, env: dict | None = None):
    """Run one of the project's invoke tasks as a user would, capturing output."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", "--search-root", str(ROOT), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


@dataclass
class BuiltSite:
    """A site built into ``output`` by ``invoke build``, with helpers to read it."""

    output: Path

    def html_pages(self) -> list[Path]:
        return sorted(self.output.rglob("*.html"))

    def page(self, relative: str) -> html.HtmlElement:
        """Parse the page at a site URL path such as ``tag/python/``."""
        path = self.output / relative.lstrip("/")
        if relative.endswith("/") or not relative:
            path = path / "index.html"
        return html.parse(str(path)).getroot()

    def xml(self, relative: str) -> etree._Element:
        return etree.parse(str(self.output / relative)).getroot()


def build_site(
    content: Path,
    output: Path,
    cache: Path | str | None = None,
    *options: str,
    env: dict | None = None,
) -> subprocess.CompletedProcess:
    """``invoke build`` of ``content`` into ``output``, with its own execution
    cache (a new one next to ``output`` unless given) and report, and ``env``
    added to the environment."""
    env = {
        "EXEC_CACHE": str(cache or output.parent / f"{output.name}-cache"),
        "EXEC_REPORT": str(output.parent / f"{output.name}-report.json"),
        **(env or {}),
    }
    return invoke(
        "build", "--content", str(content), "--output", str(output), *options, env=env
    )


def report_of(output: Path) -> dict:
    """The JSON execution report of the build into ``output``."""
    return json.loads((output.parent / f"{output.name}-report.json").read_text())


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


S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


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
