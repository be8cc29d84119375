"""The functional tests of "API Functional Testing with Python", complete.

The post shows the first two parts of this module; the build runs all of it
with pytest against ``users_api`` (its address in ``USERS_API``).
"""

import os
import urllib.error
import urllib.request
from collections import defaultdict

import pytest
from lxml import etree

API = os.environ.get("USERS_API", "http://api.example.com")


class TestUserNoun:
    def get_xml_doc(self, url_params):
        url = API + "/users/show?"
        url += "max_count=%(max_count)s&order_by=%(order_by)s"
        url_p = urllib.request.urlopen(url % defaultdict(str, url_params))
        doc = etree.fromstring(url_p.read())
        url_p.close()
        return doc

    # Test several values of max_count
    @pytest.mark.parametrize("n", (5, 10, 15, 20))
    def test_user_count(self, n):
        # Test that the number of results returned is less than or equal to n
        doc = self.get_xml_doc({"max_count": n})
        user_count = len(doc.xpath("/users/user"))
        assert user_count <= n

    def test_order_by_date_is_newest_first(self):
        doc = self.get_xml_doc({"max_count": 20, "order_by": "date"})
        joined = doc.xpath("/users/user/joined/text()")
        assert joined == sorted(joined, reverse=True)

    def test_order_by_name_is_alphabetical(self):
        doc = self.get_xml_doc({"max_count": 20, "order_by": "name"})
        names = doc.xpath("/users/user/name/text()")
        assert names == sorted(names)

    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"max_count": "ten"},
            {"max_count": 0},
            {"max_count": 5, "order_by": "size"},
        ],
        ids=["no-max_count", "max_count-not-a-number", "max_count-0", "bad-order_by"],
    )
    def test_bad_requests_are_errors(self, params):
        with pytest.raises(urllib.error.HTTPError) as response:
            self.get_xml_doc(params)
        assert response.value.code == 400
        error = etree.fromstring(response.value.read())
        assert error.xpath("/error/@code") == ["400"]
