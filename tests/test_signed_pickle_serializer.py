"""signed_pickle.serializer: nothing is unpickled before the signature is
proven, and then only plain data and listed classes."""

import datetime
import hashlib
import hmac
import pickle
from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signed_pickle import (
    BadPayload,
    BadSignature,
    BadTimeSignature,
    ForbiddenClass,
    Serializer,
    SignatureExpired,
    Signer,
)
from signed_pickle.signer import derive_key

KEY = b"a key for the serializer tests..."
OLD = b"an older key, still accepted....."
T0 = 1_245_456_000.0  # 2009-06-20
PLAIN = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(),
    lambda inner: (
        st.lists(inner) | st.dictionaries(st.text(), inner) | st.tuples(inner, inner)
    ),
    max_leaves=20,
)


class Exploit:
    """Unpickling this would create a file: the proof that it ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@given(PLAIN)
def test_plain_data_round_trips(value):
    serializer = Serializer(Signer([KEY]))
    assert serializer.loads(serializer.dumps(value)) == value


def test_listed_classes_round_trip():
    serializer = Serializer(Signer([KEY]))
    value = [OrderedDict(a=1), datetime.date(2009, 6, 20), {1, 2}, 1 + 2j]
    assert serializer.loads(serializer.dumps(value)) == value


def test_forged_pickle_with_a_wrong_signature_is_never_unpickled(tmp_path):
    marker = tmp_path / "exploited"
    forged = Signer([b"the attacker's own key, 32 bytes."]).sign(
        pickle.dumps(Exploit(marker))
    )
    with pytest.raises(BadSignature):
        Serializer(Signer([KEY])).loads(forged)
    assert not marker.exists()


def test_unsigned_pickle_is_never_unpickled(tmp_path):
    marker = tmp_path / "exploited"
    with pytest.raises(BadSignature):
        Serializer(Signer([KEY])).loads(pickle.dumps(Exploit(marker)))
    assert not marker.exists()


def test_even_a_validly_signed_pickle_may_not_call_functions(tmp_path):
    marker = tmp_path / "exploited"
    signer = Signer([KEY])
    signed = signer.sign(pickle.dumps(Exploit(marker)))
    with pytest.raises(ForbiddenClass, match="refers to io.open, which is not allowed"):
        Serializer(signer).loads(signed)
    assert not marker.exists()


def test_allowed_list_can_be_narrowed_to_plain_data():
    serializer = Serializer(Signer([KEY]), allowed=frozenset())
    assert serializer.loads(serializer.dumps({"a": [1, b"x"]})) == {"a": [1, b"x"]}
    with pytest.raises(ForbiddenClass):
        serializer.loads(serializer.dumps(OrderedDict(a=1)))


def test_signed_garbage_is_a_bad_payload():
    signer = Signer([KEY])
    with pytest.raises(BadPayload, match="not a loadable pickle"):
        Serializer(signer).loads(signer.sign(b"not a pickle"))


class Clock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_timestamped_serializer_honours_max_age_by_the_signers_clock():
    clock = Clock()
    serializer = Serializer(Signer([KEY], clock=clock), timestamp=True)
    blob = serializer.dumps("fresh")
    assert serializer.loads(blob, max_age=60) == "fresh"
    clock.now += 61
    with pytest.raises(SignatureExpired):
        serializer.loads(blob, max_age=60)


def test_serializer_signs_with_the_last_key_and_loads_with_any():
    old_blob = Serializer(Signer([OLD])).dumps("old")
    rotated = Serializer(Signer([OLD, KEY]))
    assert rotated.loads(old_blob) == "old"
    assert Serializer(Signer([KEY])).loads(rotated.dumps("new")) == "new"


def test_pickle_stamped_in_the_future_is_never_unpickled(tmp_path):
    marker = tmp_path / "exploited"
    future = Signer([KEY], clock=Clock(T0 + 86400 * 365 * 100))
    blob = future.sign(pickle.dumps(Exploit(marker)), timestamp=True)
    serializer = Serializer(Signer([KEY], clock=Clock(T0)), timestamp=True)
    with pytest.raises(BadTimeSignature, match="in the future"):
        serializer.loads(blob, max_age=60)
    assert not marker.exists()


def test_validly_signed_but_too_short_timestamped_blob_is_a_bad_signature():
    body = b"SPK1\x01\x80."  # timestamped, then 2 bytes where 8 are needed
    mac = hmac.new(derive_key(KEY, b"signed_pickle"), body, hashlib.sha256).digest()
    with pytest.raises(BadSignature, match="too short"):
        Serializer(Signer([KEY])).loads(body + mac)
