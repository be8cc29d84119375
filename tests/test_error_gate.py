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
