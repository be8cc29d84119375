"""The engine's core, ``executable_blocks``, stands without Pelican: only
the adapter, ``pelican.plugins.executable_posts``, imports it."""

import pkgutil
import subprocess
import sys

import executable_blocks


def test_no_module_of_the_core_imports_pelican():
    names = [
        f"executable_blocks.{module.name}"
        for module in pkgutil.iter_modules(executable_blocks.__path__)
    ]
    assert len(names) > 20
    program = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pelican'))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "[]"
