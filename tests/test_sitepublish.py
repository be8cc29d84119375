"""sitepublish and `invoke publish`, against moto's standalone S3 server:
headers, what a publish uploads and deletes, in what order, and the plan."""

import os

import pytest

from helpers import invoke, write_site
from publish_helpers import SITE, WRITES, keys, manifest, on_request, write
from sitepublish import (
    MANIFEST_NAME,
    PublishError,
    apply,
    cache_control,
    content_type,
    plan,
    target,
)


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


@pytest.fixture
def site(tmp_path):
    return write(tmp_path / "output", SITE)


def publish(site, s3, url, **options):
    changes = plan(site, s3, target(url), **options)
    apply(changes, s3)
    return changes


def test_first_publish_uploads_everything_with_its_headers(site, s3, bucket):
    publish(site, s3, f"s3://{bucket}/site")
    assert keys(s3, bucket) == sorted(
        ["site/" + MANIFEST_NAME] + ["site/" + name for name in SITE]
    )
    head = s3.head_object(Bucket=bucket, Key="site/figures/abc.svg")
    assert head["ContentType"] == "image/svg+xml"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    head = s3.head_object(Bucket=bucket, Key="site/index.html")
    assert head["ContentType"] == "text/html; charset=utf-8"


def test_the_manifest_records_exactly_what_was_written(site, s3, bucket):
    publish(site, s3, f"s3://{bucket}/site")
    recorded = manifest(s3, bucket, "site/")
    assert recorded["pending"] == {}
    assert sorted(recorded["objects"]) == sorted(SITE)
    for name, entry in recorded["objects"].items():
        head = s3.head_object(Bucket=bucket, Key="site/" + name)
        assert head["ETag"].strip('"') == entry["etag"]


def test_republish_uploads_only_changes_and_deletes_only_what_it_wrote(
    site, s3, bucket
):
    publish(site, s3, f"s3://{bucket}/site")
    for other in ("other/keep.html", "site2/keep.html", "site/keep.html"):
        s3.put_object(Bucket=bucket, Key=other, Body=b"not ours")
    write(site, {"index.html": "<h1>home, edited</h1>", "new.html": "new"})
    (site / "old.html").unlink()
    changes = plan(site, s3, target(f"s3://{bucket}/site"))
    assert [str(c) for c in changes.uploads + changes.deletions] == [
        "upload  site/new.html (new, 3 B)",
        "upload  site/index.html (changed, 21 B)",
        "delete  site/old.html (gone, 3 B)",
    ]
    assert [str(c) for c in changes.left] == ["leave   site/keep.html (not ours, 8 B)"]
    assert changes.unchanged == 4
    apply(changes, s3)
    assert "site/old.html" not in keys(s3, bucket)
    assert {"other/keep.html", "site2/keep.html", "site/keep.html"} <= set(
        keys(s3, bucket)
    )
    again = plan(site, s3, target(f"s3://{bucket}/site"))
    assert again.uploads == again.deletions == []


def test_uploads_go_files_first_then_pages_then_feeds_new_before_changed(
    site, s3, bucket
):
    publish(site, s3, f"s3://{bucket}/")
    write(
        site,
        {
            "index.html": "<h1>home, with a new post</h1>",
            "2010/01/new/index.html": "<h1>new</h1>",
            "feeds/all.atom.xml": "<feed><entry/></feed>",
            "figures/def.svg": "<svg/>",
            "theme/css/style.css": "body { margin: 0 }",
            "sitemap.xml": "<urlset/>",
        },
    )
    changes = plan(site, s3, target(f"s3://{bucket}/"))
    assert [change.key for change in changes.uploads] == [
        "figures/def.svg",
        "theme/css/style.css",
        "2010/01/new/index.html",
        "index.html",
        "sitemap.xml",
        "feeds/all.atom.xml",
    ]


def test_the_plan_lists_sizes_and_totals(site, s3, bucket):
    publish(site, s3, f"s3://{bucket}/site")
    s3.put_object(Bucket=bucket, Key="site/theirs.bin", Body=b"x" * 1500)
    write(site, {"big.txt": "y" * 2_500_000})
    (site / "old.html").unlink()
    changes = plan(site, s3, target(f"s3://{bucket}/site"))
    assert changes.lines() == [
        "upload  site/big.txt (new, 2.5 MB)",
        "delete  site/old.html (gone, 3 B)",
        "leave   site/theirs.bin (not ours, 1.5 kB)",
    ]
    assert changes.summary() == (
        f"s3://{bucket}/site/: 1 to upload (2.5 MB), 1 to delete (3 B), "
        "0 to adopt (0 B), 1 not ours, left alone (1.5 kB), 5 unchanged"
    )


def test_republishing_an_unchanged_site_writes_nothing(site, s3, bucket):
    publish(site, s3, f"s3://{bucket}/site")
    writes = on_request(s3, WRITES, 0, lambda request: None)
    publish(site, s3, f"s3://{bucket}/site")
    assert writes == []


def test_publishing_an_unbuilt_site_is_refused(tmp_path, s3, bucket):
    with pytest.raises(PublishError, match="build it first"):
        plan(tmp_path, s3, target(f"s3://{bucket}"))


def test_invoke_publish_dry_run_prints_the_plan_and_changes_nothing_then_publishes(
    s3_env, s3, bucket, tmp_path
):
    env = {**s3_env, "SITEURL": "https://blog.example.org"}
    s3.put_object(Bucket=bucket, Key="blog/\u202eevil.html", Body=b"theirs")
    before = keys(s3, bucket)
    target_url = f"s3://{bucket}/blog"
    content = str(write_site(tmp_path, {"post": "Text.\n"}))
    output = str(tmp_path / "output")
    where = ("--to", target_url, "--output", output, "--content", content)
    dry = invoke("publish", *where, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "upload  blog/index.html (new, " in dry.stdout
    assert "leave   blog/\\u202eevil.html (not ours, 6 B)" in dry.stdout
    assert "\u202e" not in dry.stdout
    assert f"Would publish s3://{bucket}/blog/: " in dry.stdout
    assert keys(s3, bucket) == before
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
