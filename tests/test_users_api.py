"""The XML users/show API that the API-testing post's functional tests use."""

import urllib.error
import urllib.request

import pytest
from lxml import etree

import users_api


@pytest.fixture(scope="module")
def api():
    server = users_api.start_server()
    yield server
    server.stop()


def get(api, query: str):
    with urllib.request.urlopen(f"{api.url}/users/show?{query}") as response:
        return response.headers["Content-Type"], etree.fromstring(response.read())


def test_show_returns_at_most_max_count_users(api):
    content_type, doc = get(api, "max_count=3")
    assert content_type == "application/xml; charset=utf-8"
    assert doc.xpath("/users/@count") == ["3"]
    assert doc.xpath("/users/user/@id") == ["1", "2", "3"]


def test_max_count_larger_than_the_users_returns_them_all(api):
    _, doc = get(api, "max_count=100")
    assert len(doc.xpath("/users/user")) == len(users_api.USERS)


def test_order_by_date_puts_the_newest_first(api):
    _, doc = get(api, "max_count=100&order_by=date")
    joined = doc.xpath("/users/user/joined/text()")
    assert joined == sorted(joined, reverse=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "max_count is required"),
        ("max_count=x", "max_count must be a whole number, not 'x'"),
        ("max_count=101", "max_count must be between 1 and 100"),
        ("max_count=2&order_by=age", "order_by must be date or name, not 'age'"),
    ],
)
def test_bad_requests_get_an_xml_error(api, query, message):
    with pytest.raises(urllib.error.HTTPError) as raised:
        get(api, query)
    assert raised.value.code == 400
    error = etree.fromstring(raised.value.read())
    assert error.xpath("/error/@code") == ["400"] and error.text == message


def test_unknown_paths_are_not_found(api):
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{api.url}/posts/list")
    assert raised.value.code == 404


def test_the_posts_functional_tests_pass_against_it(api, monkeypatch):
    import users_api_functional

    monkeypatch.setattr(users_api_functional, "API", api.url)
    suite = users_api_functional.TestUserNoun()
    for n in (5, 10, 15, 20):
        suite.test_user_count(n)
    suite.test_order_by_name_is_alphabetical()
    suite.test_bad_requests_are_errors({})
