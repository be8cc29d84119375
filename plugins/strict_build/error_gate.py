"""Fail the build, before anything is written, when any error was logged.

Pelican logs a post it cannot read and carries on, exiting 0 with the post
missing. ``--fatal errors`` stops at the first error with a traceback; this
gate lets every error be reported, then stops the build with a non-zero exit
before a single page is written, so a broken site is never published.
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

    def open(self, pelican=None):
        """Start counting (again) for a new build, and check, last of all
        that runs once the site is written, that nothing failed."""
        from pelican import signals

        signals.finalized.connect(self.after_writing)
        self.errors.count = 0
        root = logging.getLogger()
        if self.errors not in root.handlers:
            root.addHandler(self.errors)

    def check(self, stage: str):
        if self.errors.count:
            raise BuildFailed(f"Build failed (errors above); {stage}.")

    def before_writing(self, pelican=None):
        self.check("nothing was written")

    def after_writing(self, pelican=None):
        self.check("the output is incomplete")
