"""Which address a client counts as, for the per-address limits.

Behind a reverse proxy every connection comes from the proxy, so
``X-Forwarded-For`` names the client, but only a listed proxy may be believed:
anyone can send the header. The list is read from the right, skipping our own
proxies; the first address that is not one of them is the client. An IPv6
client counts as its /64, the block one host is usually given.
"""

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class BadForwarding(ValueError):
    """A trusted proxy sent an ``X-Forwarded-For`` that is not a list of
    addresses: a misconfiguration, refused rather than guessed at."""


def networks(specs) -> tuple[Network, ...]:
    """``--trusted-proxy`` values: addresses or networks (CIDR)."""
    return tuple(ipaddress.ip_network(spec, strict=False) for spec in specs)


def _address(text: str):
    text = text.strip()
    if text.startswith("["):  # [v6]:port
        text = text[1 : text.find("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address, proxies: tuple[Network, ...]) -> bool:
    return any(address in network for network in proxies)


def peer_key(peer: str, proxies: tuple[Network, ...]) -> str | None:
    """The peer's address key, or None for a trusted proxy, whose client
    is not known before its request is read."""
    address = _address(peer)
    return None if _trusted(address, proxies) else key(address)


def client_address(
    peer: str, forwarded: list[str], proxies: tuple[Network, ...]
) -> str:
    """The client's address key: the peer's, or from ``X-Forwarded-For``
    (all its headers, in order) when the peer is a trusted proxy."""
    address = _address(peer)
    if _trusted(address, proxies) and forwarded:
        hops = [hop for header in forwarded for hop in header.split(",")]
        try:
            for hop in reversed(hops):
                address = _address(hop)
                if not _trusted(address, proxies):
                    break
        except ValueError:
            raise BadForwarding(
                f"not an address in X-Forwarded-For: {hop.strip()!r}"
            ) from None
    return key(address)


def key(address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
