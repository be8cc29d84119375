"""cloudcached.Client against both backends: a directory, and S3 (moto's
standalone server, over HTTP)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudcached import Client, CorruptEntry, LocalBackend, ReadOnlyCache, S3Backend
from signed_pickle import Serializer, Signer

KEY = b"cloudcached's key for the tests."


class Clock:
    def __init__(self):
        self.now = 1_245_456_000.0  # 2009-06-20

    def __call__(self):
        return self.now


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "local":
        return LocalBackend(tmp_path / "cache")
    s3, bucket = request.getfixturevalue("s3"), request.getfixturevalue("bucket")
    return S3Backend(s3, bucket, "cloudcached/")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(backend, clock):
    return Client(backend, Serializer(Signer([KEY])), clock=clock)


def test_put_adds_and_get_returns(cache):
    assert cache.put("answer", 42) is True
    assert cache.get("answer") == 42


def test_put_does_not_overwrite_a_live_entry_unless_replace(cache):
    cache.put("k", "first")
    assert cache.put("k", "second") is False
    assert cache.get("k") == "first"
    assert cache.put("k", "third", replace=True) is True
    assert cache.get("k") == "third"


def test_update_replaces_only_what_exists(cache):
    assert cache.update("missing", 1) is False
    assert cache.get("missing") is None
    cache.put("k", 1)
    assert cache.update("k", 2) is True
    assert cache.get("k") == 2


def test_delete(cache):
    cache.put("k", 1)
    assert cache.delete("k") is True
    assert cache.get("k") is None
    assert cache.delete("k") is False


def test_entries_expire(cache, clock):
    cache.put("k", "soon gone", time_to_expire=60)
    clock.now += 59
    assert cache.get("k") == "soon gone"
    clock.now += 2
    assert cache.get("k") is None
    assert cache.update("k", "late") is False
    assert cache.put("k", "again") is True  # an expired entry does not block add
    assert cache.get("k") == "again"


def test_zero_means_never_expires(cache, clock):
    cache.put("k", "forever", time_to_expire=0)
    clock.now += 10 * 365 * 24 * 3600
    assert cache.get("k") == "forever"


@pytest.mark.parametrize(
    "value",
    [0, -7, 2**80, 3.25, float("inf"), 1 - 2j, "", "naïve ✓", b"\x00\xff", True, False],
    ids=repr,
)
def test_plain_types_come_back_as_themselves(cache, value):
    cache.put("k", value, replace=True)
    got = cache.get("k")
    assert got == value and type(got) is type(value)


def test_other_values_travel_as_signed_pickles(cache, backend):
    cache.put("k", {"list": [1, 2], "tuple": (3, 4), "none": None})
    assert cache.get("k") == {"list": [1, 2], "tuple": (3, 4), "none": None}
    stored = backend.read("k")
    assert stored.meta["type"] == "pickle" and stored.body.startswith(b"SPK1")


def test_expiry_and_type_are_metadata(cache, backend, clock):
    cache.put("k", 7, time_to_expire=3600)
    meta = backend.read("k").meta
    assert meta["type"] == "int"
    assert float(meta["expires"]) == clock.now + 3600
    assert len(meta["checksum"]) == 64


def test_corrupted_body_is_detected(cache, backend):
    cache.put("k", "the real value")
    stored = backend.read("k")
    backend.write("k", b"the fake value", stored.meta, "any")
    with pytest.raises(CorruptEntry, match="'k' refused: its checksum does not match"):
        cache.get("k")


def test_entry_without_checksum_is_refused(cache, backend):
    backend.write("k", b"1", {"type": "int", "expires": "0"}, "any")
    with pytest.raises(CorruptEntry, match="no checksum"):
        cache.get("k")


def test_pickle_signed_by_another_key_is_refused(backend, clock):
    other = Client(
        backend, Serializer(Signer([b"somebody else's key, 32 bytes.."])), clock=clock
    )
    other.put("k", {"forged": True})
    ours = Client(backend, Serializer(Signer([KEY])), clock=clock)
    with pytest.raises(CorruptEntry, match="signature does not match"):
        ours.get("k")


def test_read_only_cache_refuses_writes(backend, clock):
    Client(backend, Serializer(Signer([KEY])), clock=clock).put("k", 1)
    reader = Client(backend, Serializer(Signer([KEY])), read_only=True, clock=clock)
    assert reader.get("k") == 1
    for write in (
        lambda: reader.put("k2", 2),
        lambda: reader.update("k", 3),
        lambda: reader.delete("k"),
    ):
        with pytest.raises(ReadOnlyCache):
            write()
    assert reader.get("k") == 1


@pytest.mark.parametrize("key", ["", "x" * 1025, 42])
def test_bad_keys_are_refused(cache, key):
    with pytest.raises(ValueError):
        cache.put(key, 1)


def test_create_only_write_loses_to_an_existing_entry(backend):
    assert backend.write("k", b"a", {}, "absent") is True
    assert backend.write("k", b"b", {}, "absent") is False
    assert backend.read("k").body == b"a"


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.integers(),
        st.floats(allow_nan=False),
        st.text(),
        st.binary(),
        st.complex_numbers(allow_nan=False),
        st.lists(st.integers()),
    )
)
def test_values_round_trip_through_a_directory(tmp_path, value):
    cache = Client(LocalBackend(tmp_path / "prop"), Serializer(Signer([KEY])))
    cache.put("k", value, replace=True)
    assert cache.get("k") == value


def test_a_client_without_a_serializer_stores_and_loads_plain_types_only(
    cache, backend
):
    cache.put("pickled", {"a": 1}, time_to_expire=0)
    plain = Client(backend)
    plain.put("bytes", b"\x00signed elsewhere")
    assert plain.get("bytes") == b"\x00signed elsewhere"
    with pytest.raises(TypeError, match="needs a serializer"):
        plain.put("dict", {"a": 1})
    with pytest.raises(CorruptEntry, match="a pickle, and this client loads none"):
        plain.get("pickled")
