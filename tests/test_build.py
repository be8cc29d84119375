"""The Pelican adapter's Build: one per Pelican instance, and a process may
make several (Pelican's autoreload makes a second instance, and a new one
whenever the settings file changes)."""

import os

import pytest

from executable_blocks import signing_keys
from pelican.plugins.executable_posts import build as build_module
from pelican.plugins.executable_posts.build import Build


@pytest.fixture
def settings(tmp_path, monkeypatch) -> dict:
    """A site's settings, with a process of its own's state: no EXEC_* of
    the test run's, no key or line kept from an earlier build, no sandbox."""
    for name in [n for n in os.environ if n.startswith("EXEC_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("EXEC_SANDBOX", "off")
    monkeypatch.setattr(build_module, "signing_secret", None, raising=False)
    monkeypatch.setattr(build_module, "said", set(), raising=False)
    (tmp_path / "content").mkdir()
    return {
        "PATH": str(tmp_path / "content"),
        "SITEURL": "",
        "EXEC_STATE_DIR": str(tmp_path / "state"),
    }


def test_every_build_of_a_process_signs_with_the_key_of_its_environment(
    settings, tmp_path, monkeypatch
):
    """The first build took the key out of the environment (so that no
    process it starts inherits it), and the next one made a key file of its
    own and signed with that, a key CI does not trust."""
    secret = signing_keys.generate("ci-1")
    monkeypatch.setenv("EXEC_CACHE_SIGNING_KEY", secret.text())
    first = Build(settings)
    assert "EXEC_CACHE_SIGNING_KEY" not in os.environ
    second = Build(settings)
    for build in (first, second):
        assert build.store.signer.signing.public == secret.public
    assert not (tmp_path / "state" / "cache-signing.key").exists()


def test_a_file_two_generators_announce_has_its_sessions_planned_once(settings):
    """A generator subclassing Pelican's announces the same files again:
    their sessions were submitted, and ran, twice."""
    post = os.path.join(settings["PATH"], "post.md")
    with open(post, "w") as file:
        file.write('Title: T\n\n```python exec="on"\nprint(1)\n```\n')
    build = Build(settings)
    build.begin()
    try:
        build.discover([post])
        build.discover([post])
        assert build.progress.total == 1
    finally:
        build.end()


def test_a_state_folder_the_posts_may_read_is_refused(settings, tmp_path):
    """With the content in the site's own folder (PATH = ".") and the state
    folder in the site, a post's ``depends=".cache/cache-signing.key"`` read
    the builder's secret key onto its page."""
    settings["EXEC_STATE_DIR"] = str(tmp_path / "content" / ".cache")
    with pytest.raises(SystemExit, match="which the posts' blocks may read"):
        Build(settings)
    assert not (tmp_path / "content" / ".cache").exists()
    settings["EXEC_STATE_DIR"] = str(tmp_path / "state")
    settings["EXEC_INCLUDE_DIRS"] = [str(tmp_path)]  # a code folder holding it
    with pytest.raises(SystemExit, match="which the posts' blocks may read"):
        Build(settings)


def test_the_sandbox_is_described_once_a_process(settings, monkeypatch, capsys):
    """``pelican -r`` made two instances at once, and said it twice."""
    monkeypatch.delenv("EXEC_SANDBOX")
    monkeypatch.setattr(
        build_module.sandbox, "probe", lambda mode: {"mode": mode, "missing": []}
    )
    monkeypatch.setattr(
        build_module.sandbox, "describe", lambda report, policy: "sandbox: all of it"
    )
    Build(settings)
    Build(settings)
    assert capsys.readouterr().err.count("executable_posts: sandbox: all of it") == 1


RST_POST = """\
A post
######

.. code-block:: python

    print(1)

Text.

.. code:: Python

    print(2)
"""


@pytest.mark.parametrize("required", [True, False])
def test_python_code_of_a_restructuredtext_post_is_said_never_to_run(
    settings, caplog, required
):
    """Its blocks were shown, never run, without a word, where every python
    block of a Markdown post must say whether it runs (``EXEC_REQUIRE``)."""
    post = os.path.join(settings["PATH"], "post.rst")
    with open(post, "w") as file:
        file.write(RST_POST)
    settings["EXEC_REQUIRE"] = required
    build = Build(settings)
    build.begin()
    try:
        build.discover([post])
        build.discover([post])
    finally:
        build.end()
    said = [r.getMessage() for r in caplog.records if "reStructuredText" in r.message]
    expected = [
        f"{settings['PATH']}/post.rst:4: 2 python code blocks in a "
        "reStructuredText post: shown, never run (blocks run in Markdown posts only)"
    ]
    assert said == (expected if required else [])
