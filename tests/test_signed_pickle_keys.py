"""signed_pickle.keys: keys from the environment or a private key file."""

import os
import threading

import pytest

from signed_pickle import InsecureKeyFile, Signer, WeakKey, keys, load_keys


def test_environment_keys_come_oldest_to_newest(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_KEYS", " older-key-0123456789 ,newest-key-0123456789\n")
    assert load_keys(tmp_path / "unused.key", "MY_KEYS") == [
        b"older-key-0123456789",
        b"newest-key-0123456789",
    ]
    assert not (tmp_path / "unused.key").exists()


def test_a_rotated_key_file_signs_with_its_last_line(tmp_path, monkeypatch):
    monkeypatch.delenv("MY_KEYS", raising=False)
    path = tmp_path / "signing.key"
    path.write_text("older-key-0123456789\nnewest-key-0123456789\n")
    path.chmod(0o600)
    blob = Signer(load_keys(path, "MY_KEYS")).sign(b"data")
    assert Signer([b"newest-key-0123456789"]).unsign(blob) == b"data"


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


def test_the_key_file_read_is_the_one_whose_mode_was_checked(tmp_path, monkeypatch):
    """Another local user swaps a readable file of theirs in after the path
    has been looked at: what is read must still be what was checked."""
    monkeypatch.delenv("MY_KEYS", raising=False)
    path = tmp_path / "signing.key"
    path.write_text("the-owners-key-0123456789\n")
    path.chmod(0o600)
    planted = tmp_path / "planted"
    planted.write_text("a-key-others-know-0123456789\n")
    planted.chmod(0o644)
    looks = []
    real_stat = type(path).stat

    def stat_then_swap(self, *args, **kwargs):
        status = real_stat(self, *args, **kwargs)
        looks.append(self)
        if len(looks) == 2:  # after a second look, as a check of the mode
            os.replace(planted, path)
        return status

    monkeypatch.setattr(type(path), "stat", stat_then_swap)
    try:
        loaded = load_keys(path, "MY_KEYS")
    except InsecureKeyFile:
        return  # the planted file was checked, and refused
    assert loaded == [b"the-owners-key-0123456789"]


def test_empty_key_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("MY_KEYS", raising=False)
    path = tmp_path / "signing.key"
    path.write_text("\n")
    path.chmod(0o600)
    with pytest.raises(WeakKey, match="holds no key"):
        load_keys(path, "MY_KEYS")


def test_a_load_while_the_key_file_is_being_written_gets_a_full_key(
    tmp_path, monkeypatch
):
    """Another process loads the keys at the worst moment: after the creator
    has started on the file, before it has written the key."""
    monkeypatch.delenv("MY_KEYS", raising=False)
    path = tmp_path / "signing.key"
    token_hex, during = keys.secrets.token_hex, []

    def interrupted(nbytes):
        if not during:  # only once: the nested load may create a key too
            during.append(None)
            during[0] = load_keys(path, "MY_KEYS")  # WeakKey if the file is empty
        return token_hex(nbytes)

    monkeypatch.setattr(keys.secrets, "token_hex", interrupted)
    after = load_keys(path, "MY_KEYS")
    assert during == [after] and len(after[0]) == 64  # the first to publish won


def test_loads_racing_to_create_the_key_file_all_get_the_same_full_key(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("MY_KEYS", raising=False)
    for attempt in range(20):
        path = tmp_path / f"state-{attempt}" / "signing.key"
        start, results = threading.Barrier(8), []

        def load(path=path, start=start, results=results):
            start.wait()
            try:
                results.append(load_keys(path, "MY_KEYS"))
            except Exception as error:  # kept, to be reported
                results.append(error)

        threads = [threading.Thread(target=load) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 8
        assert all(result == results[0] for result in results), results
        assert len(results[0]) == 1 and len(results[0][0]) == 64
        assert os.listdir(path.parent) == ["signing.key"]  # no temporary left
        assert os.stat(path).st_mode & 0o777 == 0o600


def test_an_existing_key_file_is_never_replaced(tmp_path):
    path = tmp_path / "signing.key"
    path.write_text("theirs-0123456789abcdef\n")
    path.chmod(0o600)
    keys.create_key_file(path)
    assert path.read_text() == "theirs-0123456789abcdef\n"
    assert os.listdir(tmp_path) == ["signing.key"]
