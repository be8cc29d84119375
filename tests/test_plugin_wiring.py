"""The plugin's wiring into Pelican: nothing depends on the order of
PLUGINS or of blinker's receivers."""

import logging
import sys
from types import SimpleNamespace

import pytest
from pelican.readers import MarkdownReader, RstReader

import pelican
from pelican.plugins import executable_posts
from pelican.plugins.executable_posts import wiring
from pelican.plugins.executable_posts.gate import BuildFailed, ErrorGate


def test_markdown_readers_run_code_inside_strict_error_reporting():
    readers = SimpleNamespace(
        reader_classes={"md": MarkdownReader, "rst": RstReader, "off": None}
    )
    wiring.wrap_readers(readers)
    markdown = readers.reader_classes["md"]
    assert markdown.explains_errors  # strict, outermost
    executable = markdown.__mro__[1]
    assert executable.read is not MarkdownReader.read  # runs the blocks
    assert executable.__mro__[1] is MarkdownReader
    assert readers.reader_classes["rst"].__mro__[1] is RstReader  # strict only
    assert readers.reader_classes["off"] is None


def test_wrapping_twice_keeps_one_strict_layer():
    readers = SimpleNamespace(reader_classes={"rst": RstReader})
    wiring.wrap_readers(readers)
    once = readers.reader_classes["rst"]
    wiring.wrap_readers(readers)
    assert readers.reader_classes["rst"] is once


def test_the_running_pelican_is_one_the_plugin_was_tested_with():
    wiring.check_pelican()  # raises SystemExit on a Pelican it cannot use


def test_a_pelican_that_makes_a_posts_html_otherwise_is_refused_at_start(monkeypatch):
    monkeypatch.setattr(wiring.inspect, "getsource", lambda module: "_get_content()")
    with pytest.raises(SystemExit, match="_get_content and _update_content"):
        wiring.check_pelican()


class SiteBuild:
    """Stands for a site's Build: a run begins and ends."""

    def begin(self):
        pass

    def end(self):
        pass


def test_a_failed_build_under_autoreload_waits_whoever_wraps_run_later(
    monkeypatch, capsys
):
    """Another plugin may wrap ``run`` around this one's: autoreload is
    looked for up the stack, not one frame up."""
    monkeypatch.setattr(wiring, "gate", ErrorGate())
    failed = BuildFailed("Build failed (errors above); nothing was written.")
    instance = SimpleNamespace(run=lambda: (_ for _ in ()).throw(failed))
    wiring.each_run_a_build(instance, SiteBuild())
    ours = instance.run
    instance.run = lambda: ours()  # another plugin's wrapper

    def autoreload():  # stands for Pelican's loop
        instance.run()

    monkeypatch.setattr(wiring, "pelican", SimpleNamespace(autoreload=autoreload))
    autoreload()
    assert "nothing was written. Waiting for a change." in capsys.readouterr().err
    with pytest.raises(BuildFailed):  # not under autoreload: exit status 1
        instance.run()


def test_a_setting_refused_under_autoreload_is_said_and_waited_out(
    monkeypatch, capsys, tmp_path
):
    """(Saving a wrong ``EXEC_*`` value while ``pelican -r`` ran ended its
    loop: the new instance's refusal was a SystemExit, which Pelican's
    autoreload does not catch.)"""
    monkeypatch.setattr(wiring, "gate", ErrorGate())
    built = []
    settings = {"PATH": str(tmp_path), "EXEC_FIGURES_DIR": "/figures"}
    instance = SimpleNamespace(
        settings=settings, delete_outputdir=False, run=lambda: built.append(1)
    )

    def autoreload():  # stands for Pelican's loop, which makes the instance
        wiring.start(instance)
        instance.run()

    monkeypatch.setattr(
        wiring,
        "pelican",
        SimpleNamespace(autoreload=autoreload, __version__=pelican.__version__),
    )
    autoreload()
    said = capsys.readouterr().err
    assert "EXEC_FIGURES_DIR='/figures'" in said
    assert said.endswith("Waiting for a change.\n")
    assert built == []  # nothing was built without the engine
    with pytest.raises(SystemExit, match="EXEC_FIGURES_DIR"):  # not under it
        wiring.start(instance)


def test_a_run_that_ended_on_another_exception_leaves_its_errors_behind(monkeypatch):
    """Its errors failed the next run, which had none of its own."""
    gate = ErrorGate()
    monkeypatch.setattr(wiring, "gate", gate)
    gate.open()
    try:
        outcomes = iter(["fails", "passes"])

        def run():
            if next(outcomes) == "fails":
                logging.getLogger("pelican.plugins.other").error("it failed")
                raise RuntimeError("a plugin failed")

        instance = SimpleNamespace(run=run)
        gate.watch(instance)
        wiring.each_run_a_build(instance, SiteBuild())
        with pytest.raises(RuntimeError):
            instance.run()  # (Pelican's autoreload logs it and runs again)
        instance.run()
    finally:
        logging.getLogger().removeHandler(gate.errors)


def test_a_system_other_than_linux_is_refused_before_the_engine_is_imported(
    monkeypatch,
):
    """On Windows the engine's ``import resource`` failed first, and Pelican,
    which logs a plugin that cannot register, built on without it (exit 0,
    no block run, no claim checked)."""
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delitem(sys.modules, "pelican.plugins.executable_posts.wiring")
    monkeypatch.setitem(sys.modules, "resource", None)  # as on Windows
    with pytest.raises(SystemExit, match="on Linux only .* this is win32"):
        executable_posts.register()


def test_the_modules_build_is_that_of_the_run_going_on(monkeypatch):
    """Receivers used the latest instance's build, before its run as well
    (one called then raised on it)."""
    monkeypatch.setattr(wiring, "gate", ErrorGate())
    site_build, seen = SiteBuild(), []
    instance = SimpleNamespace(run=lambda: seen.append(wiring.build))
    wiring.each_run_a_build(instance, site_build)
    assert wiring.build is None and wiring.raster_url("/figures/x.svg") is None
    instance.run()
    assert seen == [site_build] and wiring.build is None
