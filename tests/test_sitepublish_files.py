"""Only the site's own files go up: regular files inside output/. Whatever
else is there is refused by name before anything is touched, and a file
swapped or changed after planning is not uploaded."""

import os

import pytest

from publish_helpers import SITE, keys, write
from sitepublish import MANIFEST_NAME, PublishError, apply, plan, site_files, target

SECRET = b"TOP-SECRET"


@pytest.fixture
def site(tmp_path):
    (tmp_path / "TOP-SECRET").write_bytes(SECRET)
    return write(tmp_path / "output", SITE)


def refused(site, s3, bucket) -> str:
    """Why planning a publish of ``site`` was refused; the bucket untouched."""
    with pytest.raises(PublishError) as error:
        plan(site, s3, target(f"s3://{bucket}/"))
    assert keys(s3, bucket) == []
    return str(error.value)


def test_the_sites_files_are_its_regular_files_by_key(site):
    assert [file.key for file in site_files(site)] == sorted(SITE)


def test_a_symlink_to_a_file_outside_the_site_is_refused_by_name(site, s3, bucket):
    (site / "theme" / "leak.txt").symlink_to(site.parent / "TOP-SECRET")
    said = refused(site, s3, bucket)
    assert "theme/leak.txt: a symlink to " in said
    assert "TOP-SECRET, outside the site" in said


def test_a_relative_symlink_out_of_the_site_is_refused(site, s3, bucket):
    (site / "leak.txt").symlink_to("../TOP-SECRET")
    assert "leak.txt: a symlink to " in refused(site, s3, bucket)


def test_a_symlinked_directory_out_of_the_site_is_refused(site, s3, bucket):
    (site.parent / "private").mkdir()
    (site.parent / "private" / "key.pem").write_bytes(SECRET)
    (site / "private").symlink_to(site.parent / "private")
    assert "private: a symlink to " in refused(site, s3, bucket)


def test_a_symlink_through_the_site_and_out_of_it_is_refused(site, s3, bucket):
    (site / "b.txt").symlink_to("../TOP-SECRET")
    (site / "a.txt").symlink_to("b.txt")
    said = refused(site, s3, bucket)
    assert "a.txt: a symlink to " in said
    assert "b.txt: a symlink to " in said


def test_a_symlinked_directory_inside_the_site_is_refused(site, s3, bucket):
    (site / "css").symlink_to("theme/css")
    assert "css: a symlink to " in refused(site, s3, bucket)


def test_a_dangling_symlink_is_refused(site, s3, bucket):
    (site / "gone.html").symlink_to("nowhere.html")
    assert "gone.html: a symlink to nowhere.html, which is missing" in refused(
        site, s3, bucket
    )


def test_a_fifo_is_refused_by_name_without_being_opened(site, s3, bucket):
    os.mkfifo(site / "pipe")
    assert "pipe: a FIFO" in refused(site, s3, bucket)


def test_a_file_named_like_the_manifest_is_refused(site, s3, bucket):
    write(site, {f"theme/{MANIFEST_NAME}": "{}"})
    assert f"theme/{MANIFEST_NAME}: named like the publish manifest" in refused(
        site, s3, bucket
    )


def test_a_symlink_to_a_file_inside_the_site_is_published_as_that_file(
    site, s3, bucket
):
    (site / "latest.html").symlink_to("2009/06/post/index.html")
    apply(plan(site, s3, target(f"s3://{bucket}/")), s3)
    latest = s3.get_object(Bucket=bucket, Key="latest.html")
    assert latest["Body"].read() == SITE["2009/06/post/index.html"].encode()
    assert latest["ContentType"] == "text/html; charset=utf-8"


def test_a_file_swapped_for_a_symlink_after_planning_is_not_read(site, s3, bucket):
    changes = plan(site, s3, target(f"s3://{bucket}/"))
    (site / "theme/css/style.css").unlink()
    (site / "theme/css/style.css").symlink_to(site.parent / "TOP-SECRET")
    with pytest.raises(PublishError, match="theme/css/style.css"):
        apply(changes, s3)
    assert "theme/css/style.css" not in keys(s3, bucket)


def test_a_file_changed_after_planning_is_not_uploaded(site, s3, bucket):
    changes = plan(site, s3, target(f"s3://{bucket}/"))
    write(site, {"theme/css/style.css": "body { color: red }"})
    with pytest.raises(PublishError, match="changed after the plan was made"):
        apply(changes, s3)
    assert "theme/css/style.css" not in keys(s3, bucket)
