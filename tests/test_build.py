"""The Pelican adapter's Build: one per Pelican instance, and a process may
make several (Pelican's autoreload makes a second instance, and a new one
whenever the settings file changes)."""

import os

from executable_blocks import signing_keys
from pelican.plugins.executable_posts import build as build_module
from pelican.plugins.executable_posts.build import Build


def test_every_build_of_a_process_signs_with_the_key_of_its_environment(
    tmp_path, monkeypatch
):
    """The first build took the key out of the environment (so that no
    process it starts inherits it), and the next one made a key file of its
    own and signed with that, a key CI does not trust."""
    monkeypatch.setattr(build_module, "signing_secret", None)
    for name in [n for n in os.environ if n.startswith("EXEC_")]:
        monkeypatch.delenv(name)
    secret = signing_keys.generate("ci-1")
    monkeypatch.setenv("EXEC_CACHE_SIGNING_KEY", secret.text())
    monkeypatch.setenv("EXEC_SANDBOX", "off")
    (tmp_path / "content").mkdir()
    settings = {
        "PATH": str(tmp_path / "content"),
        "SITEURL": "",
        "EXEC_STATE_DIR": str(tmp_path / "state"),
    }
    first = Build(settings)
    assert "EXEC_CACHE_SIGNING_KEY" not in os.environ
    second = Build(settings)
    for build in (first, second):
        assert build.store.signer.signing.public == secret.public
    assert not (tmp_path / "state" / "cache-signing.key").exists()


def test_a_file_two_generators_announce_has_its_sessions_planned_once(
    tmp_path, monkeypatch
):
    """A generator subclassing Pelican's announces the same files again:
    their sessions were submitted, and ran, twice."""
    for name in [n for n in os.environ if n.startswith("EXEC_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("EXEC_SANDBOX", "off")
    post = tmp_path / "content" / "post.md"
    post.parent.mkdir()
    post.write_text('Title: T\n\n```python exec="on"\nprint(1)\n```\n')
    settings = {
        "PATH": str(post.parent),
        "SITEURL": "",
        "EXEC_STATE_DIR": str(tmp_path / "state"),
    }
    build = Build(settings)
    build.begin()
    try:
        build.discover([str(post)])
        build.discover([str(post)])
        assert build.progress.total == 1
    finally:
        build.end()


def test_the_state_folder_is_made_in_the_folder_the_build_runs_in(
    tmp_path, monkeypatch
):
    """With the content in the site's own folder (PATH = "."), "beside the
    content" put the cache and its key pair outside the site."""
    for name in [n for n in os.environ if n.startswith("EXEC_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("EXEC_SANDBOX", "off")
    monkeypatch.setattr(build_module, "signing_secret", None)
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.chdir(site)
    build = Build({"PATH": str(site), "SITEURL": ""})
    assert build.store.state_dir == site / ".cache"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site"]


def test_the_sandbox_is_described_once_a_process(tmp_path, monkeypatch, capsys):
    """``pelican -r`` made two instances at once, and said it twice."""
    for name in [n for n in os.environ if n.startswith("EXEC_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(build_module, "said", set())
    monkeypatch.setattr(
        build_module.sandbox, "probe", lambda mode: {"mode": mode, "missing": []}
    )
    monkeypatch.setattr(
        build_module.sandbox, "describe", lambda report, policy: "sandbox: all of it"
    )
    (tmp_path / "content").mkdir()
    settings = {
        "PATH": str(tmp_path / "content"),
        "SITEURL": "",
        "EXEC_STATE_DIR": str(tmp_path / "state"),
    }
    Build(settings)
    Build(settings)
    assert capsys.readouterr().err.count("executable_posts: sandbox: all of it") == 1
