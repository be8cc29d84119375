"""sitepublish and `invoke publish`, against moto's standalone S3 server."""

import os

import pytest
from helpers import invoke
from test_execution_builds import write_site

from sitepublish import apply, cache_control, content_type, plan, target


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("feeds/all.atom.xml", "application/atom+xml"),
        ("feeds/all.rss.xml", "application/rss+xml"),
        ("theme/css/style.css", "text/css; charset=utf-8"),
        ("theme/favicon.svg", "image/svg+xml"),
        ("figures/0a1b.png", "image/png"),
        ("figures/0a1b.gif", "image/gif"),
    ],
)
def test_content_type_per_file(path, kind):
    assert content_type(path) == kind


def test_cache_control_per_kind_of_file():
    assert (
        cache_control("2009/06/post/index.html") == "public, max-age=0, must-revalidate"
    )
    assert cache_control("feeds/all.atom.xml") == "public, max-age=0, must-revalidate"
    assert cache_control("figures/0a1b2c.svg") == "public, max-age=31536000, immutable"
    assert cache_control("theme/css/style.css") == "public, max-age=3600"


def test_target_is_a_bucket_and_a_prefix():
    assert target("s3://blog/site") == ("blog", "site/")
    assert target("s3://blog/") == ("blog", "")
    with pytest.raises(ValueError):
        target("https://blog/site")


def write(site, files: dict[str, str]):
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)


def keys(s3, bucket, prefix=""):
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listed)


@pytest.fixture
def site(tmp_path):
    site = tmp_path / "output"
    write(
        site,
        {
            "index.html": "<h1>home</h1>",
            "feeds/all.atom.xml": "<feed/>",
            "figures/abc.svg": "<svg/>",
            "old.html": "old",
        },
    )
    return site


def test_first_publish_uploads_everything_with_its_headers(site, s3, bucket):
    apply(plan(site, s3, bucket, "site/"), s3)
    assert keys(s3, bucket) == [
        "site/feeds/all.atom.xml",
        "site/figures/abc.svg",
        "site/index.html",
        "site/old.html",
    ]
    head = s3.head_object(Bucket=bucket, Key="site/figures/abc.svg")
    assert head["ContentType"] == "image/svg+xml"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    head = s3.head_object(Bucket=bucket, Key="site/index.html")
    assert head["ContentType"] == "text/html; charset=utf-8"


def test_republish_uploads_only_changes_and_deletes_only_under_its_prefix(
    site, s3, bucket
):
    apply(plan(site, s3, bucket, "site/"), s3)
    for other in ("other/keep.html", "site2/keep.html", "sitemap.xml"):
        s3.put_object(Bucket=bucket, Key=other, Body=b"not ours")
    write(site, {"index.html": "<h1>home, edited</h1>", "new.html": "new"})
    (site / "old.html").unlink()
    changes = plan(site, s3, bucket, "site/")
    assert [str(c) for c in changes.changes] == [
        "upload  site/index.html (changed)",
        "upload  site/new.html (new)",
        "delete  site/old.html (gone)",
    ]
    assert changes.unchanged == 2
    apply(changes, s3)
    assert keys(s3, bucket) == [
        "other/keep.html",
        "site/feeds/all.atom.xml",
        "site/figures/abc.svg",
        "site/index.html",
        "site/new.html",
        "site2/keep.html",
        "sitemap.xml",
    ]
    assert plan(site, s3, bucket, "site/").changes == []


def test_publishing_an_unbuilt_site_is_refused(tmp_path, s3, bucket):
    with pytest.raises(FileNotFoundError, match="build the site first"):
        plan(tmp_path, s3, bucket, "")


def test_invoke_publish_dry_run_changes_nothing_then_publishes(
    s3_env, s3, bucket, tmp_path
):
    env = {**s3_env, "SITEURL": "https://blog.example.org"}
    target_url = f"s3://{bucket}/blog"
    content = str(write_site(tmp_path, {"post": "Text.\n"}))
    output = str(tmp_path / "output")
    where = ("--to", target_url, "--output", output, "--content", content)
    dry = invoke("publish", *where, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "upload  blog/index.html (new)" in dry.stdout
    assert "Would publish" in dry.stdout
    assert keys(s3, bucket) == []
    real = invoke("publish", *where, env=env)
    assert real.returncode == 0, real.stdout + real.stderr
    assert "blog/index.html" in keys(s3, bucket, "blog/")
    page = s3.get_object(Bucket=bucket, Key="blog/index.html")["Body"].read().decode()
    assert 'href="https://blog.example.org/' in page


def test_invoke_publish_needs_a_target(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "PUBLISH_URL"}
    content = str(write_site(tmp_path, {"post": "Text.\n"}))
    result = invoke("publish", "--content", content, env={**env, "PUBLISH_URL": ""})
    assert result.returncode != 0
    assert "give --to s3://bucket/prefix" in result.stderr + result.stdout
