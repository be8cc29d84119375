"""A block's result as a worker sends it and the cache keeps it: a
``BlockResult`` of the shape ``result_shape`` accepts."""

from executable_blocks.protocol import BlockResult


def plain_result(stdout: str = "42\n", **fields) -> BlockResult:
    defaults = {
        "stderr": "",
        "exception": None,
        "figures": (),
        "animations": (),
        "tests": (),
        "seconds": 0.01,
        "modules": (),
    }
    return BlockResult(stdout, **{**defaults, **fields})
