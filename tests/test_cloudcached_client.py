"""cloudcached.Client against both backends: a directory, and S3 (moto's
standalone server, over HTTP)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudcached import Client, CorruptEntry, LocalBackend, ReadOnlyCache
from cloudcached.client import checksum
from signed_pickle import Serializer, Signer

KEY = b"cloudcached's key for the tests."


class Clock:
    def __init__(self):
        self.now = 1_245_456_000.0  # 2009-06-20

    def __call__(self):
        return self.now


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


def test_a_stored_none_is_told_from_a_missing_entry(cache, clock):
    missing = object()
    cache.put("nothing", None, time_to_expire=60)
    assert cache.get("nothing", default=missing) is None
    assert cache.get("absent", default=missing) is missing
    assert cache.get("absent") is None
    clock.now += 61
    assert cache.get("nothing", default=missing) is missing


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


def test_expiry_and_type_are_metadata_under_the_checksum(cache, backend, clock):
    cache.put("k", 7, time_to_expire=3600)
    meta = backend.read("k").meta
    assert meta["type"] == "int"
    assert float(meta["expires"]) == clock.now + 3600
    assert meta["checksum"] == checksum("int", meta["expires"], b"7")
    assert meta["signature"]


def test_corrupted_body_is_detected(cache, backend):
    cache.put("k", "the real value")
    stored = backend.read("k")
    backend.write("k", b"the fake value", stored.meta, "any")
    with pytest.raises(CorruptEntry, match="'k' refused: its checksum does not match"):
        cache.get("k")
    with pytest.raises(CorruptEntry, match="checksum does not match"):
        cache.put("k", "a value of its own")  # add, update: nor judged by it
    with pytest.raises(CorruptEntry, match="checksum does not match"):
        cache.update("k", "a value of its own")


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


class Between:
    """``backend``, whose client lets another one take a ``turn`` once, just
    before its first write: a race, played in a set order."""

    def __init__(self, backend, turn):
        self.backend, self.turn, self.seen = backend, turn, []

    def read(self, key):
        stored = self.backend.read(key)
        self.seen.append(stored)
        return stored

    def write(self, *args):
        turn, self.turn = self.turn, None
        if turn:
            turn()
        return self.backend.write(*args)

    def delete(self, key):
        return self.backend.delete(key)


def racing(cache, clock, turn) -> Client:
    """A second client of ``cache``'s store, racing ``turn`` as above."""
    return Client(Between(cache.backend, turn), cache.serializer, clock=clock)


def test_of_two_clients_adding_a_key_the_one_that_writes_second_is_told_false(
    cache, clock
):
    winner = []
    loser = racing(cache, clock, lambda: winner.append(cache.put("k", "winner's")))
    assert loser.put("k", "loser's") is False
    assert loser.backend.seen[0] is None  # it read before the winner wrote
    assert winner == [True]
    assert cache.get("k") == "winner's"


def test_of_two_clients_adding_over_an_expired_entry_only_one_wins(cache, clock):
    cache.put("lock", "held", time_to_expire=60)
    clock.now += 61
    winner = []
    loser = racing(
        cache, clock, lambda: winner.append(cache.put("lock", "held", 60))
    )  # the same value: only the expiry tells the entries apart
    assert loser.put("lock", "held", 60) is False
    assert winner == [True]
    assert cache.get("lock") == "held"
    assert cache.backend.read("lock").meta["expires"] == repr(clock.now + 60)


def test_an_add_over_an_expired_entry_deleted_meanwhile_still_adds(cache, clock):
    cache.put("k", "old", time_to_expire=60)
    clock.now += 61
    adder = racing(cache, clock, lambda: cache.delete("k"))
    assert adder.put("k", "new") is True
    assert cache.get("k") == "new"


def test_an_update_loses_to_an_update_between_its_read_and_its_write(cache, clock):
    cache.put("k", "first")
    winner = []
    loser = racing(cache, clock, lambda: winner.append(cache.update("k", "winner's")))
    assert loser.update("k", "loser's") is False
    assert winner == [True]
    assert cache.get("k") == "winner's"


def test_an_update_does_not_bring_back_an_entry_deleted_after_its_read(cache, clock):
    cache.put("k", "first")
    loser = racing(cache, clock, lambda: cache.delete("k"))
    assert loser.update("k", "brought back") is False
    assert cache.get("k") is None


def alter(backend, key, recompute: bool, **changes) -> None:
    """Rewrite the metadata of ``key``'s entry, as someone who can write to
    the store but holds no secret could; ``recompute``: and its checksum."""
    stored = backend.read(key)
    meta = {**stored.meta, **changes}
    if recompute:
        meta["checksum"] = checksum(meta["type"], meta["expires"], stored.body)
    backend.write(key, stored.body, meta, "any")


REFUSED_BY = [(False, "checksum does not match"), (True, "signature does not match")]


@pytest.mark.parametrize("recompute, why", REFUSED_BY)
def test_an_entry_whose_expiry_was_extended_is_refused(
    cache, backend, clock, recompute, why
):
    cache.put("k", "stale soon", time_to_expire=60)
    assert cache.get("k") == "stale soon"  # and its signature is remembered
    alter(backend, "k", recompute, expires=repr(clock.now + 10**9))
    clock.now += 61
    with pytest.raises(CorruptEntry, match=why):
        cache.get("k")


@pytest.mark.parametrize("recompute, why", REFUSED_BY)
@pytest.mark.parametrize("tag", ["str", "bytes"])
def test_a_pickle_relabelled_as_text_is_refused(cache, backend, recompute, why, tag):
    cache.put("k", {"a": 1})
    alter(backend, "k", recompute, type=tag)
    with pytest.raises(CorruptEntry, match=why):
        cache.get("k")


def test_an_entry_moved_to_another_key_is_refused(cache, backend):
    cache.put("yours", "not mine")
    assert cache.get("yours") == "not mine"  # and its signature is remembered
    stored = backend.read("yours")
    backend.write("mine", stored.body, stored.meta, "any")
    with pytest.raises(CorruptEntry, match="'mine' refused: its signature does not"):
        cache.get("mine")


def test_a_signing_client_refuses_an_unsigned_entry(cache, backend, clock):
    Client(backend, clock=clock).put("k", b"from anyone")
    with pytest.raises(CorruptEntry, match="it has no signature"):
        cache.get("k")


def test_a_client_without_a_key_refuses_metadata_edited_under_its_checksum(
    backend, clock
):
    plain = Client(backend, clock=clock)
    plain.put("k", b"\x00signed elsewhere", time_to_expire=60)
    alter(backend, "k", recompute=False, expires="0.0")  # never expires
    clock.now += 61
    with pytest.raises(CorruptEntry, match="checksum does not match its type, expiry"):
        plain.get("k")
