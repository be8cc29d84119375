"""Nicknames: NFKC, no invisibles, one script, and clashes by case and look."""

import pytest

from chatroom.nicknames import clash_keys, nickname
from chatroom.protocol import ProtocolError


def clash(a: str, b: str) -> bool:
    return bool(set(clash_keys(nickname({"nick": a}))) & set(clash_keys(b)))


@pytest.mark.parametrize(
    ("asked", "given"),
    [("ｄａｖｉｄ", "david"), ("𝐝𝐚𝐯𝐢𝐝", "david"), ("  Zoë  ", "Zoë"), ("Иван", "Иван")],
)
def test_nicknames_are_nfkc_normalised(asked, given):
    assert nickname({"nick": asked}) == given


@pytest.mark.parametrize(
    "nick",
    [
        *["\u3164", "da\u3164vid", "dаvid", "Ivan Иван", "a1١", "x" * 25, "<b>"],
        *["\ud800", "_", "_david", "david_", "-d", "d."],
    ],
)
def test_invisible_mixed_script_and_malformed_nicknames_are_refused(nick):
    with pytest.raises(ProtocolError) as refused:
        nickname({"nick": nick})
    assert refused.value.code == "bad-nick"


@pytest.mark.parametrize("nick", ["d", "7", "da_vid", "d.a-v i_d", "x" * 24])
def test_a_nickname_starts_and_ends_with_a_letter_or_digit(nick):
    assert nickname({"nick": nick}) == nick


@pytest.mark.parametrize(
    ("online", "newcomer"),
    [("david", "DAVID"), ("Ivan", "lvan"), ("m", "rn"), ("ada", "Ada"), ("Ada", "ADA")],
)
def test_nicknames_that_look_or_fold_alike_clash(online, newcomer):
    assert clash(newcomer, online)


@pytest.mark.parametrize(("online", "newcomer"), [("david", "dave"), ("ada", "ida")])
def test_different_nicknames_do_not_clash(online, newcomer):
    assert not clash(newcomer, online)
