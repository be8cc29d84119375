"""signed_pickle.signer: HMAC signatures, key rotation, salts, max age."""

import hashlib
import hmac
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signed_pickle import (
    BadSignature,
    BadTimeSignature,
    SignatureExpired,
    Signer,
    WeakKey,
)
from signed_pickle.signer import CLOCK_SKEW, derive_key

OLD = b"an old key that is still accepted"
NEW = b"the newest key, used for signing.."
T0 = 1_245_456_000.0  # 2009-06-20


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def signed_with(key: bytes, body: bytes, salt: bytes = b"signed_pickle") -> bytes:
    """``body`` with a valid MAC: what a key holder (or a bug) could send."""
    return body + hmac.new(derive_key(key, salt), body, hashlib.sha256).digest()


def test_sign_and_unsign_round_trip():
    signer = Signer([NEW])
    assert signer.unsign(signer.sign(b"payload")) == b"payload"


def test_signature_is_appended_not_mixed_in():
    blob = Signer([NEW]).sign(b"payload")
    assert blob.startswith(b"SPK1\x00payload") and len(blob) == 5 + 7 + 32


def test_keys_go_oldest_to_newest_and_the_last_signs_as_in_itsdangerous():
    old_blob = Signer([OLD]).sign(b"data")
    rotated = Signer([OLD, NEW])
    assert rotated.unsign(old_blob) == b"data"
    assert Signer([NEW]).unsign(rotated.sign(b"data")) == b"data"
    with pytest.raises(BadSignature):
        Signer([OLD]).unsign(rotated.sign(b"data"))


def test_a_signature_for_one_purpose_is_refused_for_another():
    blob = Signer([NEW], salt="execution cache").sign(b"data")
    with pytest.raises(BadSignature, match="signature does not match"):
        Signer([NEW], salt="sessions").unsign(blob)


def test_timestamp_comes_from_the_injected_clock():
    blob = Signer([NEW], clock=Clock(T0)).sign(b"data", timestamp=True)
    assert blob[5:13] == struct.pack(">d", T0)


def test_timestamped_signature_expires_by_the_injected_clock():
    clock = Clock()
    signer = Signer([NEW], clock=clock)
    blob = signer.sign(b"data", timestamp=True)
    clock.now += 60
    assert signer.unsign(blob, max_age=60) == b"data"
    clock.now += 1
    with pytest.raises(SignatureExpired, match="61 s old, 60 s allowed") as raised:
        signer.unsign(blob, max_age=60)
    assert raised.value.age == 61


def test_timestamp_from_the_future_is_refused_not_kept_forever():
    blob = Signer([NEW], clock=Clock(T0 + 3600)).sign(b"data", timestamp=True)
    verifier = Signer([NEW], clock=Clock(T0))
    with pytest.raises(BadTimeSignature, match="signed 3600 s in the future"):
        verifier.unsign(blob, max_age=60)
    assert verifier.unsign(blob) == b"data"  # no max_age: no clock to compare


def test_timestamp_slightly_ahead_within_the_clock_skew_is_accepted():
    ahead = Signer([NEW], clock=Clock(T0 + CLOCK_SKEW)).sign(b"data", timestamp=True)
    assert Signer([NEW], clock=Clock(T0)).unsign(ahead, max_age=60) == b"data"
    strict = Signer([NEW], clock=Clock(T0), clock_skew=0)
    with pytest.raises(BadTimeSignature, match="in the future"):
        strict.unsign(ahead, max_age=60)


@pytest.mark.parametrize("stamp", [math.nan, math.inf, -math.inf])
def test_nan_or_infinite_timestamp_is_refused_not_kept_forever(stamp):
    blob = signed_with(NEW, b"SPK1\x01" + struct.pack(">d", stamp) + b"data")
    with pytest.raises(BadTimeSignature, match="not a finite time"):
        Signer([NEW]).unsign(blob, max_age=60)


@pytest.mark.parametrize("max_age", [math.nan, -1])
def test_nan_or_negative_max_age_is_an_error(max_age):
    signer = Signer([NEW])
    with pytest.raises(ValueError, match="max_age must be"):
        signer.unsign(signer.sign(b"data", timestamp=True), max_age=max_age)


@pytest.mark.parametrize("body", [b"", b"\x00", b"1234567"])
def test_validly_signed_but_too_short_timestamped_blob_is_a_bad_signature(body):
    blob = signed_with(NEW, b"SPK1\x01" + body)  # a valid MAC: passes that check
    with pytest.raises(BadTimeSignature, match="too short for a timestamp"):
        Signer([NEW]).unsign(blob)


@pytest.mark.parametrize("flags", [0x02, 0x80, 0xFF])
def test_a_validly_signed_blob_with_unknown_flags_is_refused(flags):
    """Its payload may be in a format this version cannot read (compressed,
    say): taking it as plain data would hand the unpickler something else."""
    blob = signed_with(NEW, b"SPK1" + bytes([flags]) + b"data")
    with pytest.raises(BadSignature, match="unknown flags"):
        Signer([NEW]).unsign(blob)


def test_max_age_needs_a_timestamp():
    signer = Signer([NEW])
    with pytest.raises(BadTimeSignature, match="no timestamp"):
        signer.unsign(signer.sign(b"data"), max_age=60)


@pytest.mark.parametrize(
    "blob", [b"", b"SPK1", b"plain pickle bytes" * 3, b"SPK1\x00" + b"x" * 31]
)
def test_data_that_is_not_signed_is_refused(blob):
    with pytest.raises(BadSignature):
        Signer([NEW]).unsign(blob)


def test_short_or_missing_keys_are_refused():
    with pytest.raises(WeakKey):
        Signer([b"short"])
    with pytest.raises(WeakKey):
        Signer([])


def test_one_key_may_be_given_alone_and_a_text_key_is_its_utf8_bytes():
    blob = Signer([NEW]).sign(b"payload")
    assert Signer(NEW).unsign(blob) == b"payload"
    assert Signer(NEW.decode()).unsign(blob) == b"payload"
    assert (
        Signer(["ключ, который подписывает"]).unsign(
            Signer(["ключ, который подписывает".encode()]).sign(b"x")
        )
        == b"x"
    )


def test_a_key_of_another_type_is_named_in_the_error():
    with pytest.raises(TypeError, match="bytes or text, not int"):
        Signer([42])


def test_messages_never_contain_the_key():
    signer = Signer([NEW])
    for blob in (b"junk", Signer([OLD]).sign(b"x")):
        with pytest.raises(BadSignature) as raised:
            signer.unsign(blob)
        assert NEW.decode() not in str(raised.value)


@given(st.binary(), st.booleans())
def test_any_payload_round_trips(payload, timestamp):
    signer = Signer([NEW])
    assert signer.unsign(signer.sign(payload, timestamp=timestamp)) == payload


@given(st.binary(min_size=1, max_size=64), st.data())
def test_flipping_any_single_byte_is_refused(payload, data):
    blob = bytearray(Signer([NEW]).sign(payload, timestamp=data.draw(st.booleans())))
    index = data.draw(st.integers(0, len(blob) - 1))
    blob[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(BadSignature):
        Signer([NEW]).unsign(bytes(blob))


@given(st.binary(), st.binary(min_size=16, max_size=48), st.text(min_size=1))
def test_another_key_or_salt_is_refused(payload, other_key, other_salt):
    blob = Signer([NEW], salt="purpose").sign(payload)
    if other_key != NEW:
        with pytest.raises(BadSignature):
            Signer([other_key], salt="purpose").unsign(blob)
    if other_salt != "purpose":
        with pytest.raises(BadSignature):
            Signer([NEW], salt=other_salt).unsign(blob)
