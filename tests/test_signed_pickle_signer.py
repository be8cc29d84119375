"""signed_pickle.signer: HMAC signatures, key rotation, salts, max age."""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signed_pickle import BadSignature, SignatureExpired, Signer, WeakKey

OLD = b"an old key that is still accepted"
NEW = b"the newest key, used for signing.."


def test_sign_and_unsign_round_trip():
    signer = Signer([NEW])
    assert signer.unsign(signer.sign(b"payload")) == b"payload"


def test_signature_is_appended_not_mixed_in():
    blob = Signer([NEW]).sign(b"payload")
    assert blob.startswith(b"SPK1\x00payload") and len(blob) == 5 + 7 + 32


def test_old_keys_verify_and_the_newest_signs():
    old_blob = Signer([OLD]).sign(b"data")
    rotated = Signer([NEW, OLD])
    assert rotated.unsign(old_blob) == b"data"
    assert Signer([NEW]).unsign(rotated.sign(b"data")) == b"data"
    with pytest.raises(BadSignature):
        Signer([OLD]).unsign(rotated.sign(b"data"))


def test_a_signature_for_one_purpose_is_refused_for_another():
    blob = Signer([NEW], salt="execution cache").sign(b"data")
    with pytest.raises(BadSignature, match="signature does not match"):
        Signer([NEW], salt="sessions").unsign(blob)


def test_timestamped_signature_expires(monkeypatch):
    now = 1_700_000_000.0
    monkeypatch.setattr(time, "time", lambda: now)
    signer = Signer([NEW])
    blob = signer.sign(b"data", timestamp=True)
    assert signer.unsign(blob, max_age=60) == b"data"
    now += 0.05
    with pytest.raises(SignatureExpired, match=r"signature expired: 0 s old, 0.01 s"):
        signer.unsign(blob, max_age=0.01)


def test_max_age_needs_a_timestamp():
    signer = Signer([NEW])
    with pytest.raises(BadSignature, match="no timestamp"):
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
