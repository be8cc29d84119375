"""executable_blocks.signing_keys and entry_signature: Ed25519 keys in Nix's
text format, key files, trusted keys, and entries signed over their key."""

import base64
import os
import subprocess
import sys

import pytest

from executable_blocks.entry_signature import EntrySigner
from executable_blocks.errors import CacheKeyError, InsecureKeyFile, UntrustedEntry
from executable_blocks.signing_keys import (
    PUBLIC_FILE,
    SECRET_FILE,
    generate,
    keys_for,
    parse_public,
    parse_publics,
    parse_secret,
)


@pytest.fixture(autouse=True)
def no_keys_from_the_environment(monkeypatch):
    for name in (
        "EXEC_CACHE_SIGNING_KEY",
        "EXEC_CACHE_TRUSTED_KEYS",
        "EXEC_CACHE_KEYS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_keys_round_trip_through_nix_text_format():
    key = generate("builder-1")
    again = parse_secret(key.text(), "test")
    assert again.name == "builder-1" and again.public == key.public
    assert parse_public(key.public.text(), "test") == key.public
    name, encoded = key.public.text().split(":")
    assert name == "builder-1" and len(base64.b64decode(encoded)) == 32


def test_a_secret_key_is_written_as_nix_writes_it_seed_then_public_key():
    key = generate("cache.example.org-1")
    name, encoded = key.text().split(":")
    raw = base64.b64decode(encoded)
    assert name == "cache.example.org-1" and len(raw) == 64
    assert raw[:32] == key.key.private_bytes_raw() and raw[32:] == key.public.raw


def test_a_bare_seed_is_a_secret_key_too():
    key = generate("seed-1")
    seed = base64.b64encode(key.key.private_bytes_raw()).decode()
    assert parse_secret(f"seed-1:{seed}", "test").public == key.public


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("no colon at all", "written name:base64"),
        (":AAAA", "written name:base64"),
        ("name:not base64!", "is not base64"),
        ("name:" + base64.b64encode(b"short").decode(), "has 5 bytes, not 32 or 64"),
    ],
)
def test_malformed_secret_keys_are_refused_without_showing_them(text, why):
    with pytest.raises(CacheKeyError, match=why) as caught:
        parse_secret(text, "$EXEC_CACHE_SIGNING_KEY")
    secret = text.partition(":")[2]
    assert not secret or secret not in str(caught.value)


def test_a_secret_key_whose_halves_do_not_match_is_refused():
    seed = generate("a-1").key.private_bytes_raw()
    other = generate("b-1").public.raw
    text = "a-1:" + base64.b64encode(seed + other).decode()
    with pytest.raises(CacheKeyError, match="public key that is not its own"):
        parse_secret(text, "test")


def test_trusted_keys_are_separated_by_commas_or_white_space():
    keys = [generate(f"k-{n}").public for n in range(3)]
    text = f"{keys[0].text()}, {keys[1].text()}\n\t{keys[2].text()},"
    assert parse_publics(text, "test") == keys


def test_a_builder_makes_its_key_file_private_with_its_public_half_beside_it(
    tmp_path,
):
    state = tmp_path / "state"
    keys = keys_for(state, read_only=False)
    assert (state / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert state.stat().st_mode & 0o777 == 0o700
    assert (state / PUBLIC_FILE).read_text() == keys.signing.public.text() + "\n"
    assert keys.trusted == [keys.signing.public]
    assert keys_for(state, read_only=False).signing.public == keys.signing.public


def test_a_key_file_others_can_read_is_refused(tmp_path):
    keys_for(tmp_path, read_only=False)
    (tmp_path / SECRET_FILE).chmod(0o640)
    with pytest.raises(InsecureKeyFile, match="permissions 0640 are too open"):
        keys_for(tmp_path, read_only=False)


def test_the_signing_key_of_the_environment_wins_over_the_key_file(
    tmp_path, monkeypatch
):
    key = generate("ci-1")
    monkeypatch.setenv("EXEC_CACHE_SIGNING_KEY", key.text())
    keys = keys_for(tmp_path, read_only=False)
    assert keys.signing.public == key.public
    assert not (tmp_path / SECRET_FILE).exists()


def test_a_read_only_build_holds_no_secret_and_makes_none(tmp_path, monkeypatch):
    ci = generate("ci-1")
    monkeypatch.setenv("EXEC_CACHE_SIGNING_KEY", generate("leaked-1").text())
    monkeypatch.setenv("EXEC_CACHE_TRUSTED_KEYS", ci.public.text())
    keys = keys_for(tmp_path / "state", read_only=True)
    assert keys.signing is None and keys.trusted == [ci.public]
    assert not (tmp_path / "state").exists()


def test_a_read_only_build_trusts_the_public_key_file_of_its_state(tmp_path):
    own = keys_for(tmp_path, read_only=False).signing
    os.unlink(tmp_path / SECRET_FILE)
    assert keys_for(tmp_path, read_only=True).trusted == [own.public]
    assert not (tmp_path / SECRET_FILE).exists()


def test_the_old_hmac_variable_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("EXEC_CACHE_KEYS", "an old shared secret of 32 bytes")
    for read_only in (False, True):
        with pytest.raises(CacheKeyError) as caught:
            keys_for(tmp_path, read_only)
        message = str(caught.value)
        assert "\n" not in message and "old shared secret" not in message
        assert "EXEC_CACHE_SIGNING_KEY" in message
        assert "EXEC_CACHE_TRUSTED_KEYS" in message


def test_an_entry_opens_under_its_own_key_only():
    key = generate("builder-1")
    signer = EntrySigner([key.public], key)
    blob = signer.seal("ab" * 32, b"payload")
    assert bytes(signer.open("ab" * 32, blob)) == b"payload"
    with pytest.raises(UntrustedEntry, match="signed for another key"):
        signer.open("cd" * 32, blob)


def test_an_altered_entry_is_refused():
    key = generate("builder-1")
    signer = EntrySigner([key.public], key)
    blob = bytearray(signer.seal("ab" * 32, b"payload"))
    blob[-1] ^= 1
    with pytest.raises(UntrustedEntry, match="does not match"):
        signer.open("ab" * 32, bytes(blob))


def test_an_entry_of_an_untrusted_key_is_refused_by_name():
    stranger = generate("stranger-1")
    blob = EntrySigner([], stranger).seal("ab" * 32, b"payload")
    trusting = EntrySigner([generate("builder-1").public])
    with pytest.raises(UntrustedEntry, match="'stranger-1', a key this build does not"):
        trusting.open("ab" * 32, blob)


def test_an_impostor_using_a_trusted_name_is_refused():
    real, impostor = generate("builder-1"), generate("builder-1")
    blob = EntrySigner([], impostor).seal("ab" * 32, b"payload")
    with pytest.raises(UntrustedEntry, match="does not match"):
        EntrySigner([real.public]).open("ab" * 32, blob)


@pytest.mark.parametrize("blob", [b"", b"NDX\x01", b"NDX\x01\x05abc", b"pickle"])
def test_bytes_that_are_not_a_signed_entry_are_refused(blob):
    key = generate("builder-1")
    with pytest.raises(UntrustedEntry, match="not a signed entry|does not trust"):
        EntrySigner([key.public]).open("ab" * 32, blob)


def test_a_read_only_signer_cannot_seal():
    with pytest.raises(UntrustedEntry, match="read-only"):
        EntrySigner([generate("builder-1").public]).seal("ab" * 32, b"payload")


def test_a_read_only_build_given_trusted_keys_trusts_those_alone(tmp_path, monkeypatch):
    ci, planted = generate("ci-1"), generate("planted-1")
    (tmp_path / PUBLIC_FILE).write_text(planted.public.text() + "\n")
    monkeypatch.setenv("EXEC_CACHE_TRUSTED_KEYS", ci.public.text())
    assert keys_for(tmp_path, read_only=True).trusted == [ci.public]


def test_the_module_prints_a_builders_public_key_making_its_pair_first(tmp_path):
    """``python -m executable_blocks.signing_keys``, for sites that use the
    plugin without this project's ``invoke cache-key``."""
    command = [sys.executable, "-m", "executable_blocks.signing_keys"]
    command += ["--state-dir", str(tmp_path / "state"), "--name", "ci-1"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EXEC_")}
    first = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("ci-1:")
    assert (tmp_path / "state" / "cache-signing.pub").read_text() == first.stdout
    (tmp_path / "state" / "cache-signing.key").chmod(0o644)
    refused = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert refused.returncode == 1 and not refused.stdout
    assert refused.stderr.startswith("cache key: ") and "too open" in refused.stderr
