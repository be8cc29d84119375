"""A block as a worker is sent it, and its result as a worker sends it and
the cache keeps it: a ``BlockResult`` of the shape ``result_shape`` accepts."""

from executable_blocks.protocol import BlockRequest, BlockResult


def block_request(code: str, first_line: int = 1, mode: str = "on", **options):
    """``code`` as a block of a post at ``first_line``."""
    return BlockRequest(code, "content/posts/post.md", first_line, mode, **options)


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
