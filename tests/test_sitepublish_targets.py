"""Targets of `invoke publish`: ``s3://bucket/prefix`` and nothing else,
refused with a clear error before anything is built or touched."""

import pytest

from helpers import invoke, write_site
from sitepublish import PublishError, Target, target


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://blog/site", "blog", "site/"),
        ("s3://blog/site/", "blog", "site/"),
        ("s3://blog/a/b", "blog", "a/b/"),
        ("s3://blog/", "blog", ""),
        ("s3://blog", "blog", ""),
        ("s3://my.blog-1/site", "my.blog-1", "site/"),
    ],
)
def test_a_target_is_a_bucket_and_a_prefix(url, bucket, prefix):
    assert target(url) == Target(bucket, prefix)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("https://blog/site", "expected s3://bucket/prefix"),
        ("S3://blog/site", "expected s3://bucket/prefix"),
        ("blog/site", "expected s3://bucket/prefix"),
        ("s3://blog/site?versionId=1", "a query"),
        ("s3://blog?x", "a query"),
        ("s3://blog/site?", "a query"),
        ("s3://blog/site#top", "a fragment"),
        ("s3://blog#", "a fragment"),
        ("s3://", "no bucket"),
        ("s3:///site", "no bucket"),
        (" s3://blog/site", "whitespace around it"),
        ("s3://blog/site\n", "whitespace around it"),
    ],
)
def test_a_target_that_is_not_a_bucket_and_a_prefix_is_refused(url, said):
    with pytest.raises(PublishError, match=said):
        target(url)


@pytest.mark.parametrize(
    ("bucket", "said"),
    [
        ("ab", "2 characters, not 3 to 63"),
        ("a" * 64, "64 characters, not 3 to 63"),
        ("My-Blog", "uppercase"),
        ("my_blog", "only have lowercase letters, digits"),
        ("user@blog", "only have lowercase letters, digits"),
        ("blog:9000", "only have lowercase letters, digits"),
        ("bl\u00f6g", "only have lowercase letters, digits"),
        ("-blog", "begin and end with a letter or digit"),
        ("blog.", "begin and end with a letter or digit"),
        ("my..blog", "two adjacent dots"),
        ("192.168.5.4", "IP address"),
        ("xn--blog", "'xn--' are reserved"),
        ("sthree-blog", "'sthree-' are reserved"),
        ("amzn-s3-demo-blog", "'amzn-s3-demo-' are reserved"),
        ("blog-s3alias", "'-s3alias' are reserved"),
        ("blog--ol-s3", "'--ol-s3' are reserved"),
        ("blog.mrap", "'.mrap' are reserved"),
        ("blog--x-s3", "'--x-s3' are reserved"),
        ("blog--table-s3", "'--table-s3' are reserved"),
    ],
)
def test_a_bucket_name_s3_would_reject_is_refused(bucket, said):
    with pytest.raises(PublishError, match=f"is not a bucket name: .*{said}"):
        target(f"s3://{bucket}/site")


@pytest.mark.parametrize("bucket", ["abc", "a" * 63, "1.2.3.blog", "192.168.5.4a"])
def test_a_bucket_name_s3_accepts_is_accepted(bucket):
    assert target(f"s3://{bucket}/site").bucket == bucket


@pytest.mark.parametrize(
    "url", ["s3://blog//site", "s3://blog/a//b", "s3://blog/a/../b", "s3://blog/./a"]
)
def test_a_prefix_with_an_empty_or_dot_segment_is_refused(url):
    with pytest.raises(PublishError, match="empty, '.' or '..' segment"):
        target(url)


def test_a_prefix_that_would_not_show_as_itself_is_refused_escaped():
    with pytest.raises(PublishError) as refused:
        target("s3://blog/site\u202etxt.exe")
    assert "do not show as themselves: site\\u202etxt.exe" in str(refused.value)
    assert "\u202e" not in str(refused.value)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("s3://blog/site?x=1", "a query"),
        ("s3://blog/site#top", "a fragment"),
        ("s3:///site", "no bucket"),
        ("s3://My_Blog/site", "is not a bucket name"),
    ],
)
def test_invoke_publish_refuses_a_bad_target_before_building(tmp_path, url, said):
    output, content = tmp_path / "output", write_site(tmp_path, {"post": "Text.\n"})
    result = invoke(
        "publish", "--to", url, "--output", str(output), "--content", str(content)
    )
    assert result.returncode != 0
    assert said in result.stderr
    assert not output.exists()
