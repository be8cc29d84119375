"""A build that stops on errors: unreadable content names its file and line,
and any logged error ends the build with a non-zero exit."""

from pelican import signals

from .error_gate import BuildFailed, ErrorGate
from .log_lines import plain_lines_off_terminal
from .reader_errors import SourceError, make_readers_strict

__all__ = ["BuildFailed", "SourceError", "register"]

gate = ErrorGate()


def register():
    plain_lines_off_terminal()
    signals.initialized.connect(gate.open)
    signals.readers_init.connect(make_readers_strict)
    # get_writer is sent after all_generators_finalized, right before the
    # first page is written: every plugin has reported its errors by then.
    signals.get_writer.connect(gate.before_writing)
    # after_writing is connected when the build starts (gate.open), after
    # every plugin has registered: it then runs after their finalized work.
