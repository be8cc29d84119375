"""A block's result as a worker sends it and the cache keeps it: plain data
of the shape ``result_shape`` accepts."""


def plain_result(stdout: str = "42\n", **fields) -> dict:
    return {
        "stdout": stdout,
        "stderr": "",
        "exception": None,
        "figures": [],
        "animations": [],
        "tests": [],
        "seconds": 0.01,
        "modules": [],
        **fields,
    }
