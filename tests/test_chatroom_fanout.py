"""chatroom.fanout: one frame written to many connections."""

from types import SimpleNamespace

from websockets.protocol import State

from chatroom.fanout import fan_out, frame


class Transport:
    def __init__(self, fails=False, buffered=0):
        self.written, self.fails, self.buffered = [], fails, buffered

    def write(self, data):
        if self.fails:
            raise RuntimeError("Cannot call write() after write_eof()")
        self.written.append(data)

    def get_write_buffer_size(self):
        return self.buffered


def connection(**transport):
    return SimpleNamespace(
        protocol=SimpleNamespace(state=State.OPEN),
        send_in_progress=None,
        transport=Transport(**transport),
    )


def test_a_connection_that_refuses_the_write_is_cut_and_the_rest_still_get_it():
    first, failing, last = connection(), connection(fails=True), connection()
    cut = fan_out([first, failing, last], "hello", max_unsent=100)
    assert cut == [(failing, "send-failed")]
    assert first.transport.written == last.transport.written == [frame("hello")]


def test_a_connection_past_its_unsent_limit_is_cut():
    slow, quick = connection(buffered=101), connection(buffered=100)
    assert fan_out([slow, quick], "hello", max_unsent=100) == [(slow, "unsent-data")]
