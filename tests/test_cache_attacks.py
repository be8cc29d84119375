"""The execution cache from an attacker's side: sites built with ``invoke
build`` on a directory cache and on S3 (moto's standalone server, over
HTTP), whose entries are then swapped, replayed, reshaped, forged or filled
with markup, as someone with write access to the cache (but not the trusted
builders' secret key) could. Every such entry is refused with a warning
naming the post, the line and the key, and its block runs again; nothing of
it reaches a page unescaped."""

import os
import pickle
import re
import runpy
import stat
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import unquote

import pytest
from lxml import html

from block_results import plain_result
from cloudcached import Client, LocalBackend, S3Backend
from executable_blocks.entry_signature import MAGIC, SIGNATURE_BYTES, EntrySigner
from executable_blocks.protocol import BlockResult, CacheEntry, Picture
from executable_blocks.signing_keys import generate
from helpers import build_site, report_of, write_site

TRUSTED = generate("ci.null-disquisition-1")  # the secret of the trusted builds
SCRIPT = "<script>alert(1)</script>"


@dataclass
class Cache:
    """A build's execution cache, read and written behind the builder's back."""

    location: str
    backend: object
    env: dict = field(default_factory=dict)

    def names(self) -> list[str]:
        if isinstance(self.backend, LocalBackend):
            names = os.listdir(self.backend.root)
            return sorted(
                unquote(n) for n in names if not n.endswith((".json", ".tmp"))
            )
        backend = self.backend
        listed = backend.client.list_objects_v2(Bucket=backend.bucket)
        return sorted(
            item["Key"].removeprefix(backend.prefix)
            for item in listed.get("Contents", [])
            if item["Key"].startswith(backend.prefix)
        )

    def entry(self, key: str) -> CacheEntry:
        """What is stored under ``key`` (our own test's bytes: plain pickle)."""
        body = self.backend.read(key).body
        start = len(MAGIC) + 1 + body[len(MAGIC)] + SIGNATURE_BYTES
        return pickle.loads(body[start:])

    def by_output(self) -> dict[str, str]:
        """Each entry's key, by what its block printed."""
        return {self.entry(key).result.stdout: key for key in self.names()}

    def copy(self, source: str, target: str) -> None:
        stored = self.backend.read(source)
        self.backend.write(target, stored.body, stored.meta, "any")

    def put(self, key: str, body: bytes) -> None:
        """Store ``body`` as the cache stores it (its checksum holds)."""
        Client(self.backend).put(key, body, time_to_expire=0, replace=True)

    def sign(self, key: str, entry, secret=TRUSTED) -> None:
        """Store ``entry`` under ``key``, signed by ``secret``."""
        self.put(key, EntrySigner([], secret).seal(key, pickle.dumps(entry)))


@pytest.fixture(params=["directory", "s3"])
def cache(request, tmp_path) -> Cache:
    if request.param == "directory":
        directory = tmp_path / "cache"
        return Cache(str(directory), LocalBackend(directory))
    s3, bucket = request.getfixturevalue("s3"), request.getfixturevalue("bucket")
    env = request.getfixturevalue("s3_env")
    return Cache(f"s3://{bucket}/cache", S3Backend(s3, bucket, "cache"), env)


def build(tmp_path, content, cache: Cache, name: str, **env):
    """A trusted build (CI's secret key), unless ``env`` says otherwise."""
    env = {
        **cache.env,
        "EXEC_STATE_DIR": str(tmp_path / "state"),
        "EXEC_CACHE_SIGNING_KEY": TRUSTED.text(),
        **env,
    }
    output = tmp_path / name
    result = build_site(content, output, cache.location, env=env)
    return result, " ".join((result.stdout + result.stderr).split()), output


def statuses(output: Path) -> dict[str, tuple[str, str]]:
    return {
        Path(b["post"]).stem: (b["status"], b["reason"])
        for b in report_of(output)["blocks"]
    }


def page(output: Path, slug: str) -> str:
    return (output / "2009" / "07" / slug / "index.html").read_text()


def printed(output: Path, slug: str) -> list[str]:
    """What the page of ``slug`` shows its blocks printed."""
    doc = html.fromstring(page(output, slug))
    return [pre.text_content() for pre in doc.xpath("//pre[@class='exec-stdout']")]


def refused(log: str, post: str, key: str, why: str) -> bool:
    """Whether ``log`` warns that ``post``'s block (line 6) found its entry
    under ``key`` refused for ``why``, and runs again."""
    pattern = (
        rf"posts/{post}\.md:6: cache entry '{key}' refused: [^;]*{re.escape(why)}"
        r"[^;]*; the block runs again"
    )
    return re.search(pattern, log) is not None


def printing(*words) -> dict[str, str]:
    return {word: f'```python exec="on"\nprint("{word}")\n```\n' for word in words}


def test_swapped_entries_are_refused_and_their_blocks_run_again(tmp_path, cache):
    content = write_site(tmp_path, printing("alpha", "beta"))
    first, log, _ = build(tmp_path, content, cache, "first")
    assert first.returncode == 0, log
    keys = cache.by_output()
    alpha, beta = keys["alpha\n"], keys["beta\n"]
    saved = cache.backend.read(alpha)
    cache.copy(beta, alpha)
    cache.backend.write(beta, saved.body, saved.meta, "any")
    second, log, output = build(tmp_path, content, cache, "second")
    assert second.returncode == 0, log
    assert refused(log, "alpha", alpha, "signed for another key")
    assert refused(log, "beta", beta, "signed for another key")
    assert statuses(output) == {
        "alpha": ("ran", "cache entry refused"),
        "beta": ("ran", "cache entry refused"),
    }
    assert printed(output, "alpha") == ["alpha\n"]
    assert printed(output, "beta") == ["beta\n"]


def test_an_entry_replayed_under_another_key_is_refused(tmp_path, cache):
    content = write_site(tmp_path, printing("version-1"))
    post = content / "posts" / "version-1.md"
    assert build(tmp_path, content, cache, "first")[0].returncode == 0
    post.write_text(post.read_text().replace("version-1", "version-2", 1))
    assert build(tmp_path, content, cache, "second")[0].returncode == 0
    keys = cache.by_output()
    old, new = keys["version-1\n"], keys["version-2\n"]
    cache.copy(old, new)  # the old output, offered for the new code
    result, log, output = build(tmp_path, content, cache, "third")
    assert result.returncode == 0, log
    assert refused(log, "version-1", new, "signed for another key")
    assert statuses(output) == {"version-1": ("ran", "cache entry refused")}
    assert printed(output, "version-1") == ["version-2\n"]


FIGURE = Picture("svg", 640, 480, b"<svg/>")


def entry_of(result: BlockResult) -> CacheEntry:
    return CacheEntry(result, ())


def fields_of(record) -> dict:
    return {field.name: getattr(record, field.name) for field in fields(record)}


@dataclass(frozen=True, slots=True)
class WithMarkup(BlockResult):
    """A result with a field no worker sends, of a class no protocol has."""

    source_html: str = SCRIPT


WRONG_SHAPES = {  # post: (the entry signed for its block, why it is refused)
    "empty": ({}, "it is not a block's result and its dependencies"),
    "string": ({"result": "str"}, "it is not a block's result and its dependencies"),
    "dicts": (  # an entry of the cache's first form
        {"result": fields_of(plain_result("d\n")), "dependencies": {}},
        "it is not a block's result and its dependencies",
    ),
    "width": (
        entry_of(plain_result("w\n", figures=(replace(FIGURE, width="640"),))),
        "the result.figures[0].width is a str, not an integer",
    ),
    "format": (
        entry_of(plain_result("f\n", figures=(replace(FIGURE, format="../x"),))),
        "the result.figures[0].format is '../x', not one of",
    ),
    "html": (
        entry_of(WithMarkup(**fields_of(plain_result("h\n")))),
        "the pickle refers to test_cache_attacks.WithMarkup, which is not allowed",
    ),
}


def test_signed_entries_of_the_wrong_shape_are_refused_and_rerun(tmp_path, cache):
    content = write_site(tmp_path, printing(*WRONG_SHAPES))
    first, log, _ = build(tmp_path, content, cache, "first")
    assert first.returncode == 0, log
    keys = cache.by_output()
    for name, (entry, _) in WRONG_SHAPES.items():
        cache.sign(keys[f"{name}\n"], entry)  # by the trusted key itself
    second, log, output = build(tmp_path, content, cache, "second")
    assert second.returncode == 0, log
    assert "Traceback" not in log and "differs" not in log
    for name, (_, why) in WRONG_SHAPES.items():
        assert refused(log, name, keys[f"{name}\n"], why), name
        assert statuses(output)[name] == ("ran", "cache entry refused")
        assert printed(output, name) == [f"{name}\n"]
        assert SCRIPT not in page(output, name)
    assert not list(output.rglob("x"))


FORGER = '''\
"""What a post of an untrusted change can do in its read-only build: it holds
the public keys only, so it makes up a key pair of its own (under the
trusted key's very name) and signs forged entries with it."""

import os
import pickle
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DOMAIN = b"null-disquisition execution cache entry, v1\\0"


def forged(key, name, result):
    from executable_blocks.protocol import BlockResult, CacheEntry

    secret = Ed25519PrivateKey.generate()
    payload = pickle.dumps(CacheEntry(BlockResult(**result), ()))
    signed = DOMAIN + struct.pack(">H", len(key)) + key.encode() + payload
    header = b"NDX\\x01" + bytes([len(name)]) + name.encode()
    return header + secret.sign(signed) + payload


def forge(directory, name, result):
    """Every entry of the cache in ``directory`` replaced by a forgery, stored
    as the cache stores it (its checksum holds)."""
    from cloudcached import Client, LocalBackend

    cache = Client(LocalBackend(directory))
    done = 0
    for file in os.listdir(directory):
        if file.endswith((".json", ".tmp")):
            continue
        cache.put(file, forged(file, name, result), time_to_expire=0, replace=True)
        done += 1
    return done
'''


def test_a_read_only_build_cannot_make_an_entry_a_trusted_build_accepts(tmp_path):
    cache = Cache(str(tmp_path / "cache"), LocalBackend(tmp_path / "cache"))
    posts = printing("victim")
    content = write_site(tmp_path, posts, {"forger.py": FORGER})
    assert build(tmp_path, content, cache, "main")[0].returncode == 0
    (victim,) = cache.names()
    forgery = fields_of(plain_result(SCRIPT, tokens=(("k", SCRIPT),)))
    (content / "posts" / "pr.md").write_text(
        "Title: Pr\nDate: 2009-07-18\nCategory: Test\nTags: t\n\n"
        '```python exec="on"\n'
        "import forger\n"
        "try:\n"
        f"    print(forger.forge({cache.location!r}, {TRUSTED.name!r}, {forgery!r}))\n"
        "except (OSError, ImportError) as error:  # a sandbox keeps it out\n"
        "    print('kept out:', type(error).__name__)\n"
        "```\n"
    )
    untrusted = {
        "EXEC_CACHE_READONLY": "1",
        "EXEC_CACHE_SIGNING_KEY": "",
        "EXEC_CACHE_TRUSTED_KEYS": TRUSTED.public.text(),
        "EXEC_STATE_DIR": str(tmp_path / "pr-state"),
    }
    result, log, output = build(tmp_path, content, cache, "pr", **untrusted)
    assert result.returncode == 0, log
    assert not (tmp_path / "pr-state").exists()  # it made no key, no index
    assert cache.names() == [victim]  # the build itself wrote nothing
    (forged,) = printed(output, "pr")
    if forged.startswith("kept out"):  # then forge as the post would have
        forger = runpy.run_path(str(content / "code" / "forger.py"))
        forged = str(forger["forge"](cache.location, TRUSTED.name, forgery))
    assert forged == "1\n" or forged == "1"
    (content / "posts" / "pr.md").unlink()
    result, log, output = build(tmp_path, content, cache, "main-again")
    assert result.returncode == 0, log
    assert refused(log, "victim", victim, "does not match")
    assert statuses(output) == {"victim": ("ran", "cache entry refused")}
    assert printed(output, "victim") == ["victim\n"]
    assert SCRIPT not in page(output, "victim")


def test_a_read_only_build_given_trusted_keys_ignores_a_key_planted_in_its_state(
    tmp_path,
):
    """A pull request can commit a public key of its own into the state
    directory of its checkout, and entries it signed into the cache there:
    its build, which CI gives the trusted keys, must not show what they say
    (here, what its block did not print)."""
    stranger = generate("stranger-1")
    checkout = Cache(str(tmp_path / "cache"), LocalBackend(tmp_path / "cache"))
    content = write_site(tmp_path, printing("real"))
    made = build(
        tmp_path, content, checkout, "made", EXEC_CACHE_SIGNING_KEY=stranger.text()
    )
    assert made[0].returncode == 0, made[1]
    (key,) = checkout.names()
    entry = checkout.entry(key)
    lie = replace(entry, result=replace(entry.result, stdout="forged\n"))
    checkout.sign(key, lie, secret=stranger)
    (tmp_path / "state" / "cache-signing.pub").write_text(stranger.public.text())
    ci = {
        "EXEC_CACHE_READONLY": "1",
        "EXEC_CACHE_SIGNING_KEY": "",
        "EXEC_CACHE_TRUSTED_KEYS": TRUSTED.public.text(),
    }
    result, log, output = build(tmp_path, content, checkout, "pr", **ci)
    assert result.returncode == 0, log
    assert printed(output, "real") == ["real\n"]
    assert refused(log, "real", key, "stranger-1")


def test_a_malformed_index_in_the_cache_is_a_warning_not_a_crash(tmp_path):
    """The index (what explains misses) of a cache in a folder may lie in a
    checkout a pull request wrote; one that is JSON but not an index ended
    the build with a traceback."""
    cache = Cache(str(tmp_path / "cache"), LocalBackend(tmp_path / "cache"))
    content = write_site(tmp_path, printing("fine"))
    index = tmp_path / "cache" / "index.json"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text("[" * 100_000)
    result, log, output = build(tmp_path, content, cache, "site")
    assert result.returncode == 0, log
    assert "index.json: not an index of blocks' key parts; it is made anew" in log
    assert printed(output, "fine") == ["fine\n"]


def test_a_read_only_build_that_trusts_its_states_key_file_says_so(tmp_path):
    """Given no trusted keys, a read-only build trusts the key file of its
    state directory, which a pull request can write: the log says so."""
    cache = Cache(str(tmp_path / "cache"), LocalBackend(tmp_path / "cache"))
    content = write_site(tmp_path, printing("local"))
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "cache-signing.pub").write_text(TRUSTED.public.text())
    local = {"EXEC_CACHE_READONLY": "1", "EXEC_CACHE_SIGNING_KEY": ""}
    result, log, _ = build(tmp_path, content, cache, "local", **local)
    assert result.returncode == 0, log
    assert "this read-only build trusts" in log and "cache-signing.pub" in log
    assert "give a build of untrusted changes the trusted keys" in log


SHOWN = """\
```python exec="on"
import sys
print("out")
print("err", file=sys.stderr)
```

```python exec="on" raises="ValueError"
raise ValueError("expected")
```

```python exec="pytest"
def test_fine():
    assert True
```
"""


def tampered(result: BlockResult) -> BlockResult:
    """``result`` with markup in every field a page or a log could show."""
    exception = result.exception and replace(
        result.exception, type=SCRIPT, message=SCRIPT, traceback=SCRIPT
    )
    return replace(
        result,
        stdout=SCRIPT,
        stderr=SCRIPT,
        tokens=(("k", SCRIPT), ("", "\n")),
        exception=exception,
        tests=tuple(replace(test, id=SCRIPT) for test in result.tests),
    )


def test_markup_in_a_validly_signed_entry_never_reaches_a_page(tmp_path, cache):
    content = write_site(tmp_path, {"shown": SHOWN})
    assert build(tmp_path, content, cache, "first")[0].returncode == 0
    for key in cache.names():
        entry = cache.entry(key)
        cache.sign(key, replace(entry, result=tampered(entry.result)))
    result, log, output = build(tmp_path, content, cache, "second")
    assert result.returncode == 0, log
    assert [b["reason"] for b in report_of(output)["blocks"]] == ["cache hit"] * 3
    written = [p for p in output.rglob("*") if p.suffix in (".html", ".xml")]
    for path in written:
        assert "<script>alert" not in path.read_text(), path
    shown = page(output, "shown")
    assert shown.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5
    assert '<span class="kn">import</span>' in shown  # the code, lexed again


def modes(root: Path) -> dict[str, int]:
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.stat().st_mode)
        for path in [root, *root.rglob("*")]
    }


def test_key_files_and_cache_files_are_not_world_readable(tmp_path):
    cache = Cache(str(tmp_path / "cache"), LocalBackend(tmp_path / "cache"))
    content = write_site(tmp_path, printing("one", "two"))
    result, log, _ = build(tmp_path, content, cache, "out", EXEC_CACHE_SIGNING_KEY="")
    assert result.returncode == 0, log
    state, files = modes(tmp_path / "state"), modes(tmp_path / "cache")
    assert state.pop(".") == 0o700 and state.pop("cache-signing.key") == 0o600
    assert state.pop("cache-signing.pub") == 0o644  # a public key, in a 0700 folder
    assert set(state.values()) == {0o600}, state  # what it verified before
    assert files.pop(".") == 0o700 and len(files) == 3  # two entries, the index
    assert set(files.values()) == {0o600}, files


def test_a_key_file_others_can_read_stops_the_build_with_one_line(tmp_path):
    cache = Cache(str(tmp_path / "cache"), LocalBackend(tmp_path / "cache"))
    content = write_site(tmp_path, printing("one"))
    key_file = tmp_path / "state" / "cache-signing.key"
    no_env_key = {"EXEC_CACHE_SIGNING_KEY": ""}
    assert build(tmp_path, content, cache, "first", **no_env_key)[0].returncode == 0
    key_file.chmod(0o640)
    result, log, output = build(tmp_path, content, cache, "second", **no_env_key)
    assert result.returncode != 0 and not output.exists()
    assert f"{key_file}: permissions 0640 are too open" in log
    assert f"chmod 600 {key_file}" in log and "Traceback" not in log


def test_the_old_hmac_variable_stops_the_build_saying_what_replaced_it(tmp_path):
    cache = Cache(str(tmp_path / "cache"), LocalBackend(tmp_path / "cache"))
    content = write_site(tmp_path, printing("one"))
    result, log, _ = build(
        tmp_path, content, cache, "out", EXEC_CACHE_KEYS="an old shared secret"
    )
    assert result.returncode != 0
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and "EXEC_CACHE_KEYS (HMAC keys) is no longer read" in log
    assert "EXEC_CACHE_SIGNING_KEY" in log and "old shared secret" not in log


def test_a_post_of_a_trusted_build_finds_no_signing_key_in_its_environment(
    tmp_path,
):
    cache = Cache(str(tmp_path / "cache"), LocalBackend(tmp_path / "cache"))
    spy = (
        '```python exec="on"\n'
        'import os\nprint(os.environ.get("EXEC_CACHE_SIGNING_KEY"))\n'
        "```\n"
    )
    content = write_site(tmp_path, {"spy": spy})
    result, log, output = build(tmp_path, content, cache, "first")
    assert result.returncode == 0, log
    assert printed(output, "spy") == ["None\n"]
    assert TRUSTED.text().split(":")[1] not in page(output, "spy")
    again, log, output = build(tmp_path, content, cache, "second")  # still written
    assert again.returncode == 0, log
    assert statuses(output) == {"spy": ("cached", "cache hit")}
