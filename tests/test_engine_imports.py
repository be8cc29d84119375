"""What the zygote imports ahead of the sessions: the modules blocks import,
and what the posts' own modules import in turn, never those modules."""

from types import SimpleNamespace

from executable_blocks.blocks import Block
from executable_blocks.engine import Engine


def engine_for(code_dir) -> Engine:
    engine = Engine.__new__(Engine)  # only what imports() reads
    engine.code_dirs, engine.local_modules = [code_dir], None
    return engine


def session_of(*codes: str) -> SimpleNamespace:
    blocks = [Block("post.md", 1, 3, code, {"exec": "on"}) for code in codes]
    return SimpleNamespace(blocks=blocks)


def test_a_posts_module_is_not_imported_but_what_it_imports_is(tmp_path):
    (tmp_path / "solver.py").write_text("import colorsys\nfrom helpers import x\n")
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("import json.decoder\n")
    engine = engine_for(tmp_path)
    found = engine.imports(session_of("import solver\nimport math\n"))
    assert found == {"colorsys", "json.decoder", "math"}


def test_a_module_that_cannot_be_read_is_skipped(tmp_path):
    (tmp_path / "broken.py").write_bytes(b"\xff\xfe not utf-8")
    engine = engine_for(tmp_path)
    assert engine.imports(session_of("import broken\n")) == set()


def test_code_python_cannot_parse_imports_nothing(tmp_path):
    """Nesting too deep for the parser raises RecursionError or MemoryError
    (not SyntaxError), which ended the build with a traceback."""
    (tmp_path / "deep.py").write_text("import math\nx" + ".a" * 100_000 + "\n")
    engine = engine_for(tmp_path)
    for code in (
        "x" + ".a" * 100_000,
        "-" * 100_000 + "1",
        "print(1)\0",
        "import deep",
    ):
        assert engine.imports(session_of(code)) == set(), code[:10]
