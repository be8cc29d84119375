"""Presence, gathered: one frame per interval, and what it says is the net."""

import json

from chatroom.presence import PresenceBatch


def taken(batch) -> tuple[list, list] | None:
    frame = batch.take()
    return frame and (json.loads(frame)["joined"], json.loads(frame)["left"])


def test_nothing_happened_nothing_is_sent():
    assert PresenceBatch().take() is None


def test_joins_and_leaves_are_gathered_into_one_frame_then_cleared():
    batch = PresenceBatch()
    for nick in ("ada", "bob", "cy"):
        batch.join(nick)
    batch.leave("old")
    assert taken(batch) == (["ada", "bob", "cy"], ["old"])
    assert batch.take() is None


def test_came_and_went_unannounced_is_not_mentioned():
    batch = PresenceBatch()
    batch.join("ada")
    batch.leave("ada")
    assert batch.take() is None


def test_left_and_came_back_reads_left_then_joined():
    batch = PresenceBatch()
    batch.leave("ada")
    batch.join("ada")
    assert taken(batch) == (["ada"], ["ada"])
    batch.leave("ada")
    batch.join("ada")
    batch.leave("ada")
    assert taken(batch) == ([], ["ada"])
