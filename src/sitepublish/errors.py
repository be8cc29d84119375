"""The one error a publish raises when it refuses or stops: its message is
for the person at the terminal, saying what happened and what to do."""


class PublishError(Exception):
    """Refused before anything was touched, or stopped with the state said."""
