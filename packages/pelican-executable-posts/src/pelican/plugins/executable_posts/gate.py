"""Fail the build, before anything is written, when any error was logged.

Pelican logs a post it cannot read and carries on, exiting 0 with the post
missing. ``--fatal errors`` stops at the first error with a traceback; this
gate lets every error be reported, then stops the build with a non-zero exit
before a single page is written, so a broken site is never published.

Errors logged while the site is written (a link checker or a search indexer
on ``finalized``) are caught by wrapping the Pelican instance's ``run``: the
last check runs after ``run`` returns, after every ``finalized`` receiver.
Blinker calls the receivers of one signal in no documented order, so a
receiver could not be sure to come last.
"""

import logging


class ErrorCount(logging.Handler):
    """Counts error records from every logger of the build."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record):
        self.count += 1


class BuildFailed(SystemExit):
    """Raised to end the build; a ``SystemExit`` so Pelican cannot swallow it."""


class ErrorGate:
    def __init__(self):
        self.errors = ErrorCount()
        self.quiet = False  # the build was asked to show critical errors only

    def open(self) -> None:
        """Count the errors of every logger from now on (plugins registered
        before this one, and their ``initialized`` receivers, included).
        ``pelican -q`` shows critical records only, and a logger drops a
        record below its level before any handler sees it: an error failed
        nothing, and the build wrote a wrong claim's page and exited 0. Errors
        are let through, to be counted and shown: at the root and at
        ``pelican``'s own logger, which ``-q`` sets too (Pelican's "Could not
        process" and this plugin's path errors are logged below it)."""
        self.reset()
        root = logging.getLogger()
        if root.getEffectiveLevel() > logging.ERROR:
            self.quiet = True
        for logger in (root, logging.getLogger("pelican")):
            if logger.level > logging.ERROR:
                logger.setLevel(logging.ERROR)
        if self.errors not in root.handlers:
            root.addHandler(self.errors)

    def watch(self, pelican) -> None:
        """Check ``pelican``'s build once it has run to the end."""
        run = pelican.run

        def run_then_check():
            run()
            self.after_writing()

        pelican.run = run_then_check

    def reset(self) -> None:
        """Count from zero: a rebuild (autoreload) counts its own errors."""
        self.errors.count = 0

    def check(self, stage: str) -> None:
        if self.errors.count:
            self.reset()
            raise BuildFailed(f"Build failed (errors above); {stage}.")

    def before_writing(self, pelican=None) -> None:
        self.check("nothing was written")

    def after_writing(self, pelican=None) -> None:
        self.check("the output is incomplete")
