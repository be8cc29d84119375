"""Unit tests of the plugin's error gate: any logged error stops the build."""

import logging

import pytest

from pelican.plugins.executable_posts.gate import BuildFailed, ErrorGate


@pytest.fixture
def gate():
    gate = ErrorGate()
    gate.open()
    yield gate
    logging.getLogger().removeHandler(gate.errors)


def test_build_without_errors_passes_the_gate(gate):
    logging.getLogger("pelican.generators").warning("just a warning")
    gate.before_writing()
    gate.after_writing()


def test_logged_error_stops_the_build_before_writing(gate):
    logging.getLogger("pelican.generators").error("Could not process %s", "a.md")
    with pytest.raises(BuildFailed, match="nothing was written") as raised:
        gate.before_writing()
    assert raised.value.code != 0


def test_error_while_writing_stops_the_build_after_writing(gate):
    logging.getLogger("pelican.writers").error("template broke")
    with pytest.raises(BuildFailed, match="output is incomplete"):
        gate.after_writing()


def test_reopening_the_gate_forgets_the_last_build(gate):
    logging.getLogger("x").error("old")
    gate.open()
    gate.before_writing()


class Run:
    """A Pelican instance's run, whose last finalized receiver may log."""

    def __init__(self, error: str | None = None):
        self.error = error
        self.ran = False

    def run(self):
        self.ran = True
        if self.error:
            logging.getLogger("pelican.plugins.late").error(self.error)


def test_an_error_logged_by_the_last_finalized_receiver_fails_the_run(gate):
    pelican = Run(error="search index failed")
    gate.watch(pelican)
    with pytest.raises(BuildFailed, match="output is incomplete"):
        pelican.run()
    assert pelican.ran


def test_a_watched_run_without_errors_passes(gate):
    pelican = Run()
    gate.watch(pelican)
    pelican.run()
    assert pelican.ran


def test_errors_logged_before_the_run_starts_are_counted(gate):
    logging.getLogger("pelican.plugins.early").error("a plugin's initialized failed")
    pelican = Run()
    gate.watch(pelican)
    with pytest.raises(BuildFailed):
        pelican.run()


def test_an_error_of_a_quiet_build_is_counted_and_shown():
    """``pelican -q`` sets the root logger to CRITICAL, which dropped every
    error before the gate saw it: a wrong claim's page was written and the
    build exited 0. The gate lets errors through, and says it was quiet."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.CRITICAL)  # (setLevel clears the loggers' caches)
    shown = []
    handler = logging.Handler()
    handler.emit = shown.append
    root.addHandler(handler)
    gate = ErrorGate()
    try:
        gate.open()
        logging.getLogger("executable_posts").error("content/p.md:8: differs")
        with pytest.raises(BuildFailed):
            gate.before_writing()
    finally:
        quiet_level = root.level
        root.setLevel(level)
        root.removeHandler(gate.errors)
        root.removeHandler(handler)
    assert gate.quiet and quiet_level == logging.ERROR
    assert [r.getMessage() for r in shown] == ["content/p.md:8: differs"]


def test_a_build_at_pelicans_usual_level_is_not_quiet(gate):
    assert not gate.quiet
