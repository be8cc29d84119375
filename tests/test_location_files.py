"""executable_blocks.location_files: a state directory keeps the files of its
latest cache locations only."""

import os

from executable_blocks.location_files import forget_all_but_the_latest, used


def files(folder, prefix: str, count: int) -> list:
    """``count`` files named ``prefix...``, each used a second after the last."""
    made = []
    for number in range(count):
        path = folder / f"{prefix}{number:02d}"
        path.write_bytes(b"")
        os.utime(path, (1_000_000 + number, 1_000_000 + number))
        made.append(path)
    return made


def test_only_the_latest_files_of_a_prefix_stay(tmp_path):
    old = files(tmp_path, "memo-", 12)
    others = files(tmp_path, "other-", 12)
    this = tmp_path / "memo-this"  # this build's, not made yet
    forget_all_but_the_latest(this, "memo-", kept=4)
    assert set(tmp_path.glob("memo-*")) == set(old[-3:])
    assert set(tmp_path.glob("other-*")) == set(others)


def test_a_file_used_counts_as_recent(tmp_path):
    old = files(tmp_path, "memo-", 6)
    used(old[0])  # the oldest, used again
    forget_all_but_the_latest(old[0], "memo-", kept=3)
    assert set(tmp_path.glob("memo-*")) == {old[0], old[4], old[5]}


def test_a_file_that_is_not_there_is_not_used(tmp_path):
    used(tmp_path / "gone")
    assert not (tmp_path / "gone").exists()
