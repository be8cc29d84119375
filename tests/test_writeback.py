"""Results written to the cache by a process of their own."""

import os
import shutil

from block_results import plain_result
from executable_blocks.cache import ResultStore
from executable_blocks.protocol import CacheEntry
from executable_blocks.writeback import Writeback

ENTRY = CacheEntry(plain_result(), ())


def test_entries_are_written_by_another_process(tmp_path):
    store = ResultStore(tmp_path / "cache", tmp_path)
    writeback = Writeback(store)
    for n in range(3):
        writeback.add(f"{n:064x}", CacheEntry(plain_result(f"{n}"), ()))
    writeback.start()
    assert writeback.process.pid != os.getpid()
    writeback.wait()
    reader = ResultStore(tmp_path / "cache", tmp_path)
    assert [reader.get(f"{n:064x}").result.stdout for n in range(3)] == [
        "0",
        "1",
        "2",
    ]
    assert not list(tmp_path.glob("execution-results-*"))


def test_nothing_to_write_starts_no_process(tmp_path):
    writeback = Writeback(ResultStore(tmp_path / "cache", tmp_path))
    writeback.start()
    assert writeback.process is None


def test_a_read_only_cache_keeps_nothing(tmp_path):
    writeback = Writeback(ResultStore(tmp_path / "cache", tmp_path, read_only=True))
    writeback.add("ab" * 32, ENTRY)
    writeback.start()
    assert writeback.process is None


def test_a_cache_that_cannot_be_written_is_reported_not_fatal(tmp_path, capfd):
    cache = tmp_path / "cache"
    writeback = Writeback(ResultStore(cache, tmp_path))
    writeback.add("cd" * 32, ENTRY)
    shutil.rmtree(cache, ignore_errors=True)
    cache.write_text("a file where the cache directory was")
    writeback.start()
    writeback.wait()
    err = capfd.readouterr().err
    assert "WARNING  could not write 1 of 1 results to the execution cache" in err
    assert "Traceback" not in err
