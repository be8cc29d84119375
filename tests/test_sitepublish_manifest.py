"""A publish never destroys what it did not write: the manifest under the
prefix says what publishes wrote, objects not written by a publish are left
wherever they are, a publish that stops partway leaves the live site whole
and a rerun finishes it, and of two publishes at once only one goes on."""

import boto3
import pytest

from publish_helpers import (
    SITE,
    WRITES,
    contents,
    deny,
    is_manifest,
    is_upload,
    keys,
    manifest,
    on_request,
    write,
)
from sitepublish import MANIFEST_NAME, PublishError, apply, plan, site_files, target
from sitepublish.manifest import load

# What a bucket shared with other data holds besides the site.
FOREIGN = {
    "other/keep.html": b"<h1>another site</h1>",
    "other/index.html": b"<h1>another home</h1>",
    "backups/2024-01-01.sql.gz": b"\x1f\x8b backup",
    "logs/access-2024-06-01.log": b"GET / 200",
    "uploads/photo.jpg": b"\xff\xd8 jpeg",
    "favicon.ico": b"icon",
    "data/report.csv": b"a,b\n1,2\n",
    "data/report-2.csv": b"a,b\n3,4\n",
    "private/notes.txt": b"notes",
    "archive/old-site/index.html": b"<h1>2005</h1>",
    "README": b"this bucket holds more than the blog",
    "sitemap-other.xml": b"<urlset/>",
    "site/keep.txt": b"not the blog's, though under its prefix",
}
# The second version of SITE: new and changed files, and old.html gone.
V2 = {
    "figures/def.svg": "<svg><circle/></svg>",
    "theme/css/new.css": "p {}",
    "theme/css/style.css": "body { margin: 0 }",
    "2010/01/new/index.html": "<h1>new post</h1>",
    "index.html": "<h1>home, with a new post</h1>",
    "feeds/all.atom.xml": "<feed><entry/></feed>",
}


@pytest.fixture
def site(tmp_path):
    return write(tmp_path / "output", SITE)


def put(s3, bucket, objects: dict[str, bytes]) -> None:
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)


def publish(site, s3, url, **options):
    return apply(plan(site, s3, target(url), **options), s3)


def version_2(site):
    write(site, V2)
    (site / "old.html").unlink()
    return site


def site_in_bucket(prefix: str, files: dict[str, str]) -> dict[str, bytes]:
    """What the bucket should hold for the site ``files`` under ``prefix``."""
    return {prefix + key: text.encode() for key, text in files.items()}


def without_manifests(objects: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in objects.items() if not k.endswith(MANIFEST_NAME)}


def test_a_shared_bucket_published_at_its_root_loses_nothing_foreign(site, s3, bucket):
    put(s3, bucket, FOREIGN)
    first = plan(site, s3, target(f"s3://{bucket}"))
    assert sorted(change.key for change in first.left) == sorted(FOREIGN)
    apply(first, s3)
    publish(version_2(site), s3, f"s3://{bucket}")
    v2 = {**SITE, **V2}
    del v2["old.html"]
    assert without_manifests(contents(s3, bucket)) == {
        **FOREIGN,
        **site_in_bucket("", v2),
    }


def test_a_foreign_object_where_the_site_has_a_file_stops_the_publish_untouched(
    site, s3, bucket
):
    put(s3, bucket, {"site/index.html": b"theirs"})
    with pytest.raises(PublishError) as refused:
        plan(site, s3, target(f"s3://{bucket}/site"))
    assert "nothing was changed:\n  site/index.html\ngive --adopt" in str(refused.value)
    assert contents(s3, bucket) == {"site/index.html": b"theirs"}


def test_a_foreign_object_the_same_as_the_sites_file_is_left_and_never_claimed(
    site, s3, bucket
):
    put(s3, bucket, {"site/figures/abc.svg": SITE["figures/abc.svg"].encode()})
    changes = plan(site, s3, target(f"s3://{bucket}/site"))
    assert [str(change) for change in changes.left] == [
        "leave   site/figures/abc.svg (not ours, same as the site's, 6 B)"
    ]
    apply(changes, s3)
    assert "figures/abc.svg" not in manifest(s3, bucket, "site/")["objects"]
    (site / "figures/abc.svg").unlink()
    publish(site, s3, f"s3://{bucket}/site")
    assert "site/figures/abc.svg" in keys(s3, bucket)


def test_an_object_someone_else_rewrote_is_not_ours_any_more(site, s3, bucket):
    publish(site, s3, f"s3://{bucket}/site")
    put(s3, bucket, {"site/old.html": b"rewritten by someone else"})
    (site / "old.html").unlink()
    changes = plan(site, s3, target(f"s3://{bucket}/site"))
    assert changes.deletions == []
    apply(changes, s3)
    assert contents(s3, bucket)["site/old.html"] == b"rewritten by someone else"


def test_adopt_takes_over_what_no_publish_wrote_under_the_prefix(site, s3, bucket):
    put(
        s3,
        bucket,
        {
            "site/index.html": b"<h1>synced by another tool</h1>",
            "site/old-theme.css": b"p { color: red }",
            "elsewhere/keep.html": b"outside the prefix",
        },
    )
    changes = plan(site, s3, target(f"s3://{bucket}/site"), adopt=True)
    assert [str(change) for change in changes.adopted] == [
        "adopt   site/index.html (not ours, 31 B)",
        "adopt   site/old-theme.css (not ours, 16 B)",
    ]
    apply(changes, s3)
    assert without_manifests(contents(s3, bucket)) == {
        "elsewhere/keep.html": b"outside the prefix",
        **site_in_bucket("site/", SITE),
    }


def test_adopt_never_takes_over_another_sites_prefix(site, s3, bucket, tmp_path):
    other = write(tmp_path / "other", {"index.html": "<h1>other</h1>"})
    publish(other, s3, f"s3://{bucket}/blog")
    put(s3, bucket, {"junk.txt": b"adopt me"})
    changes = plan(site, s3, target(f"s3://{bucket}"), adopt=True)
    assert [change.key for change in changes.adopted] == ["junk.txt"]
    apply(changes, s3)
    assert without_manifests(contents(s3, bucket)) == {
        "blog/index.html": b"<h1>other</h1>",
        **site_in_bucket("", SITE),
    }
    assert "blog/" + MANIFEST_NAME in keys(s3, bucket)


def test_adopt_never_takes_over_what_a_site_above_wrote(site, s3, bucket, tmp_path):
    above = write(tmp_path / "above", {"index.html": "<h1>root</h1>", "docs/a": "a"})
    publish(above, s3, f"s3://{bucket}")
    changes = plan(site, s3, target(f"s3://{bucket}/docs"), adopt=True)
    assert changes.adopted == []
    apply(changes, s3)
    assert contents(s3, bucket)["docs/a"] == b"a"


def test_an_unreadable_manifest_stops_the_publish_untouched(site, s3, bucket):
    put(s3, bucket, {"site/" + MANIFEST_NAME: b"{not json"})
    with pytest.raises(PublishError, match="not a manifest this publish can read"):
        plan(site, s3, target(f"s3://{bucket}/site"))
    assert keys(s3, bucket) == ["site/" + MANIFEST_NAME]


def test_a_failed_upload_halfway_leaves_the_old_site_whole_and_a_rerun_finishes(
    site, s3, bucket
):
    publish(site, s3, f"s3://{bucket}/site")
    before = contents(s3, bucket)
    changes = plan(version_2(site), s3, target(f"s3://{bucket}/site"))
    on_request(s3, ["PutObject"], 3, deny, which=is_upload)
    with pytest.raises(PublishError) as stopped:
        apply(changes, s3)
    said = str(stopped.value)
    assert "stopped uploading site/theme/css/style.css (3 of 6)" in said
    assert "nothing was deleted" in said
    assert "Rerun the same publish" in said
    now = contents(s3, bucket)
    assert set(before) <= set(now)
    for key in ("site/index.html", "site/old.html", "site/feeds/all.atom.xml"):
        assert now[key] == before[key]
    rerun = plan(site, s3, target(f"s3://{bucket}/site"))
    assert rerun.lines()[0] == (
        "(an earlier publish here did not finish: this one finishes it)"
    )
    apply(rerun, s3)
    v2 = {**SITE, **V2}
    del v2["old.html"]
    assert without_manifests(contents(s3, bucket)) == site_in_bucket("site/", v2)
    assert sorted(manifest(s3, bucket, "site/")["objects"]) == sorted(v2)


def test_ctrl_c_during_a_publish_says_what_is_live(site, s3, bucket):
    publish(site, s3, f"s3://{bucket}/site")
    changes = plan(version_2(site), s3, target(f"s3://{bucket}/site"))

    def interrupt(request):
        raise KeyboardInterrupt

    on_request(s3, ["PutObject"], 2, interrupt, which=is_upload)
    with pytest.raises(PublishError) as stopped:
        apply(changes, s3)
    assert "stopped uploading site/theme/css/new.css (2 of 6): KeyboardInterrupt" in (
        str(stopped.value)
    )
    assert "Live now: every file of the site as it was" in str(stopped.value)


# v1 to v2, with one object changed and two new: the claim, three uploads,
# the commit, two deletions and the tidying of the manifest.
WRITES_OF_V2 = 8


@pytest.mark.parametrize("number", range(1, WRITES_OF_V2 + 1))
def test_a_stop_at_any_write_forgets_nothing_of_ours_and_a_rerun_finishes(
    site, s3, bucket, number
):
    put(s3, bucket, FOREIGN)
    write(site, {"gone.html": "gone"})
    publish(site, s3, f"s3://{bucket}/site")
    write(site, {"index.html": "v2", "new.css": "new", "2010/new.html": "new"})
    (site / "old.html").unlink()
    (site / "gone.html").unlink()
    changes = plan(site, s3, target(f"s3://{bucket}/site"))
    assert len(changes.uploads) + len(changes.deletions) + 3 == WRITES_OF_V2
    on_request(s3, WRITES, number, deny)
    with pytest.raises(PublishError, match="Live now|Nothing was changed"):
        apply(changes, s3)
    now = contents(s3, bucket)
    assert {key: now[key] for key in FOREIGN} == FOREIGN
    recorded = load(s3, target(f"s3://{bucket}/site"))
    for item in s3.list_objects_v2(Bucket=bucket, Prefix="site/")["Contents"]:
        if item["Key"] not in FOREIGN and not item["Key"].endswith(MANIFEST_NAME):
            assert recorded.owned(item["Key"], item["ETag"].strip('"')), item["Key"]
    publish(site, s3, f"s3://{bucket}/site")
    files = {file.key: file.path.read_text() for file in site_files(site)}
    assert without_manifests(contents(s3, bucket)) == {
        **FOREIGN,
        **site_in_bucket("site/", files),
    }
    assert manifest(s3, bucket, "site/")["pending"] == {}
    assert sorted(manifest(s3, bucket, "site/")["objects"]) == sorted(files)


def test_of_two_publishes_planned_at_once_only_one_goes_on(site, s3, bucket, tmp_path):
    publish(site, s3, f"s3://{bucket}/site")
    other = write(tmp_path / "other", {**SITE, "index.html": "<h1>other</h1>"})
    first = plan(version_2(site), s3, target(f"s3://{bucket}/site"))
    second = plan(other, s3, target(f"s3://{bucket}/site"))
    apply(first, s3)
    after_first = contents(s3, bucket)
    with pytest.raises(PublishError) as stopped:
        apply(second, s3)
    assert "another publish wrote the manifest since this one read it" in str(
        stopped.value
    )
    assert "Nothing was changed" in str(stopped.value)
    assert contents(s3, bucket) == after_first


def test_a_publish_overtaken_after_its_uploads_deletes_nothing(
    site, s3, s3_env, bucket, tmp_path
):
    publish(site, s3, f"s3://{bucket}/site")
    v1 = contents(s3, bucket)
    again = write(tmp_path / "again", SITE)
    other = boto3.client(
        "s3",
        endpoint_url=s3_env["AWS_ENDPOINT_URL"],
        region_name=s3_env["AWS_DEFAULT_REGION"],
        aws_access_key_id=s3_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=s3_env["AWS_SECRET_ACCESS_KEY"],
    )

    def other_publish_meanwhile(request):
        publish(again, other, f"s3://{bucket}/site")

    changes = plan(version_2(site), s3, target(f"s3://{bucket}/site"))
    on_request(s3, ["PutObject"], 2, other_publish_meanwhile, which=is_manifest)
    with pytest.raises(PublishError) as stopped:
        apply(changes, s3)
    assert "another publish wrote the manifest" in str(stopped.value)
    assert "none of the 1 old files deleted" in str(stopped.value)
    assert without_manifests(contents(s3, bucket)) == without_manifests(v1)


def test_an_object_rewritten_between_plan_and_upload_is_not_overwritten(
    site, s3, bucket
):
    publish(site, s3, f"s3://{bucket}/site")
    changes = plan(version_2(site), s3, target(f"s3://{bucket}/site"))
    put(s3, bucket, {"site/theme/css/style.css": b"theirs"})
    with pytest.raises(PublishError, match="changed in the bucket after the plan"):
        apply(changes, s3)
    assert contents(s3, bucket)["site/theme/css/style.css"] == b"theirs"


def test_an_object_rewritten_between_plan_and_delete_is_left(site, s3, bucket):
    publish(site, s3, f"s3://{bucket}/site")
    changes = plan(version_2(site), s3, target(f"s3://{bucket}/site"))
    put(s3, bucket, {"site/old.html": b"theirs"})
    assert apply(changes, s3) == ["site/old.html"]
    assert contents(s3, bucket)["site/old.html"] == b"theirs"
    assert "old.html" not in manifest(s3, bucket, "site/")["objects"]
