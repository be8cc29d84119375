"""Client addresses: from X-Forwarded-For only through a trusted proxy."""

import pytest

from chatroom.addresses import BadForwarding, client_address, networks

PROXIES = networks(["10.0.0.0/8", "127.0.0.1"])


def test_the_peer_is_the_client_when_no_proxy_is_trusted():
    assert client_address("198.51.100.7", ["203.0.113.5"], ()) == "198.51.100.7"


def test_a_trusted_proxy_names_the_client():
    assert client_address("127.0.0.1", ["203.0.113.5"], PROXIES) == "203.0.113.5"


def test_the_rightmost_untrusted_hop_is_the_client_not_what_it_claims():
    # the client itself wrote "1.2.3.4"; our proxies added the rest
    forwarded = ["1.2.3.4, 203.0.113.5, 10.1.2.3"]
    assert client_address("127.0.0.1", forwarded, PROXIES) == "203.0.113.5"


def test_several_headers_read_as_one_list_in_order():
    forwarded = ["1.2.3.4", "203.0.113.5"]
    assert client_address("127.0.0.1", forwarded, PROXIES) == "203.0.113.5"


def test_ports_and_mapped_addresses_are_understood():
    assert client_address("127.0.0.1", ["203.0.113.5:4711"], PROXIES) == "203.0.113.5"
    assert client_address("::ffff:203.0.113.5", [], ()) == "203.0.113.5"


def test_an_ipv6_client_counts_as_its_slash_64():
    assert client_address("2001:db8:1:2:3::9", [], ()) == "2001:db8:1:2::/64"
    assert client_address("[2001:db8:1:2::1]:80", [], ()) == "2001:db8:1:2::/64"


def test_a_malformed_forwarded_for_from_a_trusted_proxy_is_refused():
    with pytest.raises(BadForwarding, match="'not-an-ip'"):
        client_address("127.0.0.1", ["203.0.113.5, not-an-ip"], PROXIES)
