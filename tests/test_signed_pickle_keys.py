"""signed_pickle.keys: keys from the environment or a private key file."""

import os

import pytest

from signed_pickle import InsecureKeyFile, WeakKey, load_keys


def test_environment_keys_come_newest_first(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_KEYS", " newest-key-0123456789 ,older-key-0123456789\n")
    assert load_keys(tmp_path / "unused.key", "MY_KEYS") == [
        b"newest-key-0123456789",
        b"older-key-0123456789",
    ]
    assert not (tmp_path / "unused.key").exists()


def test_key_file_is_created_once_with_mode_600(tmp_path, monkeypatch):
    monkeypatch.delenv("MY_KEYS", raising=False)
    path = tmp_path / "state" / "signing.key"
    first = load_keys(path, "MY_KEYS")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert len(first) == 1 and len(first[0]) == 64
    assert load_keys(path, "MY_KEYS") == first


def test_key_file_readable_by_others_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("MY_KEYS", raising=False)
    path = tmp_path / "signing.key"
    path.write_text("a-key-that-others-can-read\n")
    path.chmod(0o644)
    with pytest.raises(InsecureKeyFile, match="chmod 600") as raised:
        load_keys(path, "MY_KEYS")
    assert "a-key-that-others-can-read" not in str(raised.value)


def test_empty_key_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("MY_KEYS", raising=False)
    path = tmp_path / "signing.key"
    path.write_text("\n")
    path.chmod(0o600)
    with pytest.raises(WeakKey, match="holds no key"):
        load_keys(path, "MY_KEYS")
