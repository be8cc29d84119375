"""Run a function in a forked child: what it returns (or raises) comes back,
and what it did to its own process (namespaces, Landlock) stays there."""

import os
import pickle


def in_child(function, *args):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            outcome = ("returned", function(*args))
        except BaseException as error:  # noqa: BLE001 - sent back to the test
            outcome = ("raised", error)
        with os.fdopen(write, "wb") as pipe:
            pickle.dump(outcome, pipe)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        kind, value = pickle.load(pipe)
    os.waitpid(pid, 0)
    if kind == "raised":
        raise value
    return value
