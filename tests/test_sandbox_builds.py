"""Hostile posts, built as a stranger's pull request would be: every attack
the sandbox stops is carried out by a post in a temporary site, built with
``EXEC_SANDBOX=strict`` (the mode of builds of untrusted changes)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from executable_blocks.signing_keys import generate
from helpers import (
    build_site,
    invoke_command,
    page,
    processes_named,
    quickstart_build,
    require_strict_sandbox,
    write_site,
)

STRICT = {"EXEC_SANDBOX": "strict", "COLUMNS": "1000"}  # (no wrapped lines)
SECRET = f"secret-{uuid.uuid4().hex}"


@pytest.fixture(scope="module", autouse=True)
def strict_sandbox_here():
    """These builds take the kernel's every part of the sandbox."""
    require_strict_sandbox()


def build(tmp_path, content, env=None, name="output"):
    output, env = tmp_path / name, {**STRICT, **(env or {})}
    result = build_site(content, output, tmp_path / "cache", env=env)
    return result, result.stdout + result.stderr, output


def build_timed(tmp_path, posts: dict, env=None):
    """A site of ``posts`` built: its result, its log and the seconds it took
    (a test that the build does not hang bounds them)."""
    content = write_site(tmp_path, posts)
    started = time.monotonic()
    result, log, _ = build(tmp_path, content, env)
    return result, log, time.monotonic() - started


def everything_written(tmp_path: Path, output: Path) -> str:
    """Every page, feed and figure of the build, and its report, as text."""
    texts = [
        p.read_bytes().decode("utf-8", "replace")
        for p in output.rglob("*")
        if p.is_file()
    ]
    report = output.parent / f"{output.name}-report.json"
    if report.exists():
        texts.append(report.read_text())
    return "\n".join(texts)


def attempts(paths: list, action: str) -> str:
    """A block that tries ``action`` on each path and prints how it went."""
    return (
        '```python exec="on"\n'
        f"for path in {[str(p) for p in paths]!r}:\n"
        "    try:\n"
        f"        {action}\n"
        "        print(path, 'done')\n"
        "    except OSError as error:\n"
        "        print(path, 'refused:', type(error).__name__)\n"
        "```\n"
    )


def lines_of(output: Path, slug: str) -> list[str]:
    """The lines every block of a post printed, in order."""
    printed = page(output, slug).xpath("//pre[@class='exec-stdout']/code")
    return [line for each in printed for line in each.text.splitlines()]


def test_the_build_says_what_isolation_it_got(tmp_path):
    content = write_site(tmp_path, {"hello": '```python exec="on"\nprint(1)\n```\n'})
    result, log, _ = build(tmp_path, content)
    assert result.returncode == 0, log
    namespaces = "user, PID, mount, IPC, network namespaces; a root of its own"
    assert f"sandbox strict: {namespaces}; Landlock" in log
    assert "300 processes" in log and "Missing" not in log


@pytest.fixture
def site_root():
    """A folder outside /tmp (which a session sees as its own, empty /tmp):
    a site there is seen by the sandbox as it is, as a project would be."""
    root = Path(tempfile.mkdtemp(prefix="sandbox-site-", dir="/var/tmp"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("key_from", ["environment", "key file"])
def test_secrets_in_the_environment_and_key_files_reach_no_page(site_root, key_from):
    tmp_path = site_root
    home, state, cache = tmp_path / "home", tmp_path / "state", tmp_path / "cache"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(f"aws_secret_access_key = {SECRET}\n")
    key_file = state / "cache-signing.key"
    targets = [home / ".aws" / "credentials", key_file, state, cache]
    body = (
        '```python exec="on"\nimport os\nprint(sorted(os.environ))\n'
        "print([v for v in os.environ.values() if 'secret' in v])\n```\n\n"
        + attempts(
            targets,
            "print(open(path).read() if os.path.isfile(path) else os.listdir(path))",
        )
        + "\n"
        + attempts(
            ["/proc/1/environ", *(f"/proc/{n}/environ" for n in range(2, 40))],
            "print(open(path).read())",
        )
    )
    content = write_site(tmp_path, {"exfiltrate": body})
    cache.mkdir(mode=0o700)  # as an earlier build left them
    state.mkdir(mode=0o700)
    env = {
        "HOME": str(home),
        "EXEC_STATE_DIR": str(state),
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "SITE_DEPLOY_TOKEN": SECRET,
    }
    if key_from == "environment":
        env["EXEC_CACHE_SIGNING_KEY"] = signing_key = generate("ci-1").text()
    result, log, output = build(tmp_path, content, env)
    assert result.returncode == 0, log
    if key_from == "key file":
        signing_key = key_file.read_text().strip()
    leaked = everything_written(tmp_path, output) + log
    assert SECRET not in leaked
    assert signing_key.split(":", 1)[1] not in leaked
    printed = "\n".join(lines_of(output, "exfiltrate"))
    assert "AWS_SECRET_ACCESS_KEY" not in printed and "SITE_DEPLOY_TOKEN" not in printed
    assert "EXEC_CACHE_SIGNING_KEY" not in printed
    for path in targets:  # (outside the sandbox's root: not there at all)
        assert f"{path} refused: FileNotFoundError" in printed


def test_passed_variables_are_the_only_ones_a_block_sees(tmp_path):
    body = '```python exec="on"\nimport os\nprint(os.environ.get("PLOT_STYLE"))\n```\n'
    content = write_site(tmp_path, {"passed": body})
    env = {"PLOT_STYLE": "dark", "EXEC_PASS_ENV": "PLOT_STYLE"}
    result, log, output = build(tmp_path, content, env)
    assert result.returncode == 0, log
    assert lines_of(output, "passed") == ["dark"]


def test_the_cache_keys_can_never_be_passed(tmp_path):
    content = write_site(tmp_path, {"p": '```python exec="on"\nprint(1)\n```\n'})
    passed = {"EXEC_PASS_ENV": "PATH,EXEC_CACHE_SIGNING_KEY"}
    result, log, _ = build(tmp_path, content, passed)
    assert result.returncode != 0
    assert "EXEC_PASS_ENV names EXEC_CACHE_SIGNING_KEY" in log


def test_writes_outside_the_scratch_directory_fail(site_root):
    tmp_path = site_root
    output = tmp_path / "output"
    other = tmp_path / "content" / "posts" / "innocent.md"
    targets = [
        output / "planted.html",
        other,
        tmp_path / "cache" / "planted",
        tmp_path / "planted.txt",
        Path.home() / "planted.txt",
    ]
    body = attempts(targets, "open(path, 'a').write('<script>x</script>')")
    body += (
        '\n```python exec="on"\nopen("scratch.txt", "w").write("ok")\n'
        'open("/tmp/private.txt", "w").write("ok")\n'
        'print("scratch and /tmp: ok")\n```\n'
    )
    content = write_site(tmp_path, {"vandal": body, "innocent": "Nothing runs here.\n"})
    output.mkdir()  # as a previous build left them
    (tmp_path / "cache").mkdir(mode=0o700)
    before = other.read_text()
    result, log, output = build(tmp_path, content)
    assert result.returncode == 0, log
    printed = lines_of(output, "vandal")
    # Another post is in the sandbox's root, read-only to a session (and
    # Landlock refuses it too); the output and the cache are not there; the
    # folders above the content (the site's, a home folder that holds the
    # Python) are the root's own, read-only, or not there.
    assert f"{other} refused: OSError" in printed
    for target in (output / "planted.html", tmp_path / "cache" / "planted"):
        assert f"{target} refused: FileNotFoundError" in printed
    for target in (tmp_path / "planted.txt", Path.home() / "planted.txt"):
        assert any(
            f"{target} refused: {error}" in printed
            for error in ("OSError", "FileNotFoundError")  # (OSError: read-only)
        )
    assert printed[-1] == "scratch and /tmp: ok"
    assert (
        not (output / "planted.html").exists()
        and not (tmp_path / "planted.txt").exists()
    )
    assert not (Path.home() / "planted.txt").exists()
    assert other.read_text() == before


def test_other_posts_and_unpublished_files_cannot_be_read(tmp_path):
    """Another post, or a file of the content folder Pelican does not
    publish (notes, a plan), must not be copied onto a stranger's page."""
    posts, notes = tmp_path / "content" / "posts", tmp_path / "content" / "notes"
    targets = [posts / "other.md", notes / "plan.txt"]
    body = attempts(targets, "print(open(path).read())")
    body += attempts([posts, notes], "print(os.listdir(path))").replace(
        '```python exec="on"\n', '```python exec="on"\nimport os\n'
    )
    content = write_site(tmp_path, {"spy": body, "other": "Nothing runs here.\n"})
    notes.mkdir()
    (notes / "plan.txt").write_text(f"The unannounced {SECRET}.\n")
    result, log, output = build(tmp_path, content)
    assert result.returncode == 0, log
    printed = lines_of(output, "spy")
    # (not in the sandbox's root at all: of the content folder, only the
    # code folder is)
    for path in (*targets, posts, notes):
        assert f"{path} refused: FileNotFoundError" in printed
    assert SECRET not in everything_written(tmp_path, output) + log


@pytest.fixture
def host_server():
    """A TCP server on the host's loopback that greets whoever connects."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(30)

    def serve():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"hello from the host")

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def test_a_block_reaches_no_network_unless_it_declares_one(tmp_path, host_server):
    connect = (
        "import socket\n"
        "try:\n"
        f"    address = ('127.0.0.1', {host_server})\n"
        "    with socket.create_connection(address, timeout=5) as s:\n"
        "        print(s.recv(100).decode())\n"
        "except OSError as error:\n"
        "    print('refused:', type(error).__name__)\n"
    )
    body = (
        f'```python exec="on"\n{connect}```\n\n'
        f'```python exec="on" session="online" network="on"\n{connect}```\n'
    )
    content = write_site(tmp_path, {"network": body})
    result, log, output = build(tmp_path, content)
    assert result.returncode == 0, log
    blocks = page(output, "network").xpath("//pre[@class='exec-stdout']/code")
    assert blocks[0].text.startswith("refused: ConnectionRefusedError")
    assert blocks[1].text == "hello from the host\n"


def test_a_build_may_refuse_the_network_to_every_post(tmp_path, host_server):
    """A post of a pull request can say network="on" as well: a build of
    untrusted changes refuses it (EXEC_NETWORK=never), before anything runs."""
    body = (
        '```python exec="on" network="on"\nimport socket\n'
        f"socket.create_connection(('127.0.0.1', {host_server}), timeout=5)\n"
        "print('connected')\n```\n"
    )
    content = write_site(tmp_path, {"online": body})
    result, log, output = build(tmp_path, content, env={"EXEC_NETWORK": "never"})
    assert result.returncode != 0
    assert 'network="on" refused (EXEC_NETWORK=never)' in log.splitlines()[0]
    assert 'posts/online.md:6: network="on": this build gives posts no network' in log
    assert "connected" not in log + everything_written(tmp_path, output)


def test_a_wrong_network_setting_stops_the_build(tmp_path):
    content = write_site(tmp_path, {"plain": '```python exec="on"\nprint(3)\n```\n'})
    result, log, _ = build(tmp_path, content, env={"EXEC_NETWORK": "sometimes"})
    assert result.returncode != 0
    assert "EXEC_NETWORK='sometimes': expected one of declared, never" in log


def test_a_site_without_a_code_directory_builds(tmp_path):
    content = write_site(tmp_path, {"plain": '```python exec="on"\nprint(3)\n```\n'})
    (content / "code").rmdir()
    result, log, output = build(tmp_path, content)
    assert result.returncode == 0, log
    assert lines_of(output, "plain") == ["3"]


def test_the_sandbox_loopback_serves_the_posts_own_servers(tmp_path):
    body = (
        '```python exec="on"\nimport socket\n'
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "client = socket.create_connection(server.getsockname())\n"
        "connection, _ = server.accept()\nclient.sendall(b'ping')\n"
        "print(connection.recv(4).decode())\n```\n"
    )
    content = write_site(tmp_path, {"loopback": body})
    result, log, output = build(tmp_path, content)
    assert result.returncode == 0, log
    assert lines_of(output, "loopback") == ["ping"]


def test_daemonised_children_are_gone_after_the_build(tmp_path):
    marker = f"daemon-{uuid.uuid4().hex}"
    body = (
        '```python exec="on"\nimport os, subprocess\n'
        f"subprocess.Popen(['/bin/sleep', '300'], executable='/bin/sleep',"
        " start_new_session=True)\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', [{marker!r}, '300'])\n"
        "    os._exit(0)\n"
        "print('started')\n```\n"
    )
    content = write_site(tmp_path, {"daemon": body})
    result, log, _ = build(tmp_path, content)
    assert result.returncode == 0, log
    assert processes_named(marker) == []


def test_a_timeout_leaves_no_process_of_a_new_session_running(tmp_path):
    marker = f"orphan-{uuid.uuid4().hex}"
    body = (
        '```python exec="on" timeout="2"\nimport subprocess, time\n'
        f"subprocess.Popen([{marker!r}, '300'], executable='/bin/sleep',"
        " start_new_session=True)\n"
        "time.sleep(60)\n```\n"
    )
    content = write_site(tmp_path, {"stuck": body})
    result, log, _ = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/stuck.md:6: timed out after 2 s" in log
    assert processes_named(marker) == []


def test_a_file_past_the_size_limit_fails_its_block_at_its_line(tmp_path):
    body = (
        '```python exec="on"\nwith open("big", "wb") as file:\n'
        "    file.write(bytes(2 << 20))\n```\n"
    )
    content = write_site(tmp_path, {"filler": body})
    result, log, _ = build(tmp_path, content, env={"EXEC_FILE_SIZE": "1M"})
    assert result.returncode != 0
    assert "posts/filler.md:8: OSError: [Errno 27] File too large" in log
    assert "(the sandbox allows 1 MiB a file: EXEC_FILE_SIZE)" in log


def test_a_huge_allocation_fails_its_block_at_its_line(tmp_path):
    body = 'Text.\n\n```python exec="on"\nhoard = bytearray(20 * 10**9)\n```\n'
    content = write_site(tmp_path, {"hog": body})
    result, log, _ = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/hog.md:9: MemoryError" in log
    assert "(the sandbox allows 2 GiB of memory a process: EXEC_MEMORY)" in log


def test_a_session_over_its_memory_fails_its_block_at_its_line(tmp_path):
    """Three processes of 300 MiB, each well within the limit of a process,
    are over the session's 512 MiB together."""
    child = (
        "chunks = [b'1' * (100 << 20) for _ in range(3)]; import time; time.sleep(60)"
    )
    body = (
        'Text.\n\n```python exec="on"\nimport subprocess, sys\n'
        f"children = [subprocess.Popen([sys.executable, '-c', {child!r}])"
        " for _ in range(3)]\n"
        "[c.wait() for c in children]\n```\n"
    )
    result, log, _ = build_timed(tmp_path, {"hoard": body}, {"EXEC_MEMORY": "512M"})
    assert result.returncode != 0
    assert "posts/hoard.md:8: the session held" in log  # (the block's fence)
    assert "more than the 512 MiB a session may (EXEC_MEMORY" in log
    assert "per session 512 MiB of memory" in log  # the first line says it


def test_a_post_of_huge_results_fails_at_its_line_before_the_builder_fills(
    tmp_path,
):
    """The builder holds every block's result until the pages are written,
    and a block may send 256 MiB: a post of many such blocks (or many such
    posts) could fill its memory. What a build's blocks send back has a
    budget; the block whose result passes it fails at its line."""
    block = "```python exec=\"on\"\nprint('x' * 900_000)\n```\n\n"
    body = "Text.\n\n" + block * 6
    content = write_site(tmp_path, {"flood": body})
    result, log, output = build(tmp_path, content, {"EXEC_RESULTS_MAX": "4M"})
    assert result.returncode != 0
    assert "4 MiB of results a build" in log  # the first line says it
    assert "posts/flood.md:24: its result of 0.9 MiB would have taken" in log
    assert "past 4 MiB (EXEC_RESULTS_MAX); its worker was killed" in log
    assert "posts/flood.md:20:" not in log  # (the four before it fit)
    assert not output.exists()


def test_a_wrong_results_budget_stops_the_build(tmp_path):
    content = write_site(tmp_path, {"hello": '```python exec="on"\nprint(1)\n```\n'})
    result, log, _ = build(tmp_path, content, {"EXEC_RESULTS_MAX": "lots"})
    assert result.returncode != 0
    assert "a sandbox limit is wrong" in log


def a_post_linking_to(tmp_path: Path, secret: str) -> Path:
    """A site one of whose posts is a link to a post-shaped file of the
    builder's, outside the site (as a pull request can add one)."""
    content = write_site(tmp_path, {"hello": "Hello.\n"})
    private = tmp_path / "home" / "notes.md"
    private.parent.mkdir()
    private.write_text(f"Title: Notes\nDate: 2009-07-18\nCategory: Test\n\n{secret}\n")
    (content / "posts" / "notes.md").symlink_to(private)
    return content


def test_a_strict_build_refuses_a_link_out_of_the_site(tmp_path):
    content = a_post_linking_to(tmp_path, SECRET)
    result, log, output = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/notes.md: a link to " in log and "outside the content" in log
    assert "EXEC_SANDBOX=strict: refusing to build" in log
    assert not output.exists() or SECRET not in everything_written(tmp_path, output)


def test_a_strict_build_refuses_a_code_folder_that_is_a_link(tmp_path):
    """Blocks may read the code folder: as a link to the builder's home, it
    would open that home to them."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "credentials").write_text(SECRET)
    where = tmp_path / "content" / "code" / "credentials"
    reads = f'```python exec="on"\nprint(open("{where}").read())\n```\n'
    content = write_site(tmp_path, {"reads": reads})
    (content / "code").rmdir()
    (content / "code").symlink_to(home)
    result, log, output = build(tmp_path, content)
    assert result.returncode != 0
    assert "code: leads to " in log and "through a link" in log
    assert not output.exists() or SECRET not in everything_written(tmp_path, output)


def test_a_best_build_warns_of_a_link_out_of_the_site(tmp_path):
    content = a_post_linking_to(tmp_path, "a note of the owner's")
    result, log, _ = build(tmp_path, content, {"EXEC_SANDBOX": "best"})
    assert result.returncode == 0, log
    assert "WARNING" in log and "posts/notes.md: a link to " in log


def test_a_fork_bomb_fails_its_block_and_leaves_nothing(tmp_path):
    marker = f"bomb-{uuid.uuid4().hex}"
    body = (
        '```python exec="on"\nimport os\n'
        "for _ in range(2000):\n"
        "    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', [{marker!r}, '300'])\n```\n"
    )
    content = write_site(
        tmp_path, {"bomb": body, "calm": '```python exec="on"\nprint(2)\n```\n'}
    )
    result, log, _ = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/bomb.md:9: BlockingIOError" in log
    assert (
        "(the sandbox allows 300 processes and threads a session: EXEC_PROCESSES)"
        in log
    )
    assert processes_named(marker) == []


def test_a_block_cannot_kill_the_zygote_that_runs_it(tmp_path):
    killer = (
        '```python exec="on"\nimport os, signal\n'
        "seen = [int(n) for n in os.listdir('/proc') if n.isdigit()]\n"
        "for pid in [os.getppid(), *seen]:\n"
        "    if pid not in (0, os.getpid()):\n"
        "        try:\n"
        "            os.kill(pid, signal.SIGKILL)\n"
        "        except OSError:\n"
        "            pass\n"
        "print('still here')\n```\n"
    )
    later = '```python exec="on"\nimport time\ntime.sleep(1)\nprint("later")\n```\n'
    content = write_site(tmp_path, {"killer": killer, "later": later})
    result, log, output = build(tmp_path, content)
    assert result.returncode == 0, log
    assert lines_of(output, "later") == ["later"]


def test_without_a_sandbox_a_block_that_kills_the_zygote_is_named(tmp_path):
    killer = (
        '```python exec="on"\nimport os, signal\n'
        "os.kill(os.getppid(), signal.SIGKILL)\n```\n"
    )
    content = write_site(tmp_path, {"killer": killer})
    result, log, _ = build(tmp_path, content, {"EXEC_SANDBOX": "off"})
    assert result.returncode != 0
    assert (
        "posts/killer.md:6: the zygote was killed by SIGKILL while this block ran"
        in log
    )
    assert "sandbox off (EXEC_SANDBOX=off)" in log


def test_without_user_namespaces_a_session_still_leaves_nothing(tmp_path):
    """Without PID namespaces, the zygote and each worker adopt orphans, so
    a daemon, a child in a session of its own and a plain child are all
    gone once their session ends, or is killed for its timeout or its
    memory; memory is still added up per session."""
    markers = [f"left-{uuid.uuid4().hex}" for _ in range(4)]
    starts = (
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([{markers[0]!r}, '300'], executable='/bin/sleep')\n"
        f"subprocess.Popen([{markers[1]!r}, '300'], executable='/bin/sleep',"
        " start_new_session=True)\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', [{markers[2]!r}, '300'])\n"
        "    os._exit(0)\n"
    )
    child = (
        "chunks = [b'1' * (100 << 20) for _ in range(3)]; import time; time.sleep(60)"
    )
    hoard = (
        "children = [subprocess.Popen([sys.executable, '-c', "
        f"{child!r}], start_new_session=True) for _ in range(3)]\n"
        "[c.wait() for c in children]\n"
    )
    posts = {
        "leaves": f'```python exec="on"\n{starts}print("started")\n```\n',
        "stuck": f'```python exec="on" timeout="2"\n{starts}time.sleep(60)\n```\n',
        "hoard": f'```python exec="on"\n{starts}{hoard}```\n',
    }
    posts["stuck"] = posts["stuck"].replace(markers[0], markers[3])
    content = write_site(tmp_path, posts)
    result, log, _ = build_wrapped(
        tmp_path, content, "best", without_user_namespaces(), {"EXEC_MEMORY": "512M"}
    )
    assert result.returncode != 0
    assert "Missing: user namespace" in log
    assert "posts/stuck.md:6: timed out after 2 s" in log
    assert "posts/hoard.md:6: the session held" in log
    for marker in markers:
        assert processes_named(marker) == [], marker


def build_wrapped(tmp_path, content, mode, around: list[str], env=None):
    """``invoke build`` in ``mode``, run by the command ``around``, which
    takes something from the sandbox (its own arguments, then the build's)."""
    output = tmp_path / "output"
    env = {
        **os.environ,
        **(env or {}),
        "EXEC_SANDBOX": mode,
        "EXEC_CACHE": str(tmp_path / "cache"),
        "EXEC_REPORT": str(tmp_path / "output-report.json"),
    }
    build = invoke_command("build", "--content", str(content), "--output", str(output))
    result = subprocess.run(
        [*around, *build], env=env, capture_output=True, text=True, timeout=600
    )
    return result, result.stdout + result.stderr, output


def without_user_namespaces() -> list[str]:
    """In a user namespace that may make no more of them."""
    refuse = 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"'
    return ["unshare", "--user", "--map-root-user", "sh", "-c", refuse, "sh"]


# A build whose processes may make a user namespace but not mount in it, as
# where a policy leaves them no capability there: mount(2) fails with EPERM.
MOUNT_NUMBER = {"x86_64": 165, "aarch64": 40}.get(os.uname().machine)
WITHOUT_MOUNTS = """\
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
steps = [(0x20, 0, 0, 0), (0x15, 0, 1, {number}), (0x06, 0, 0, 0x50001),
         (0x06, 0, 0, 0x7FFF0000)]
code = b"".join(struct.pack("=HBBI", *step) for step in steps)
buffer = ctypes.create_string_buffer(code, len(code))
program = struct.pack("=HxxxxxxQ", len(steps), ctypes.addressof(buffer))
program = ctypes.create_string_buffer(program, len(program))
for call in ((38, 1, 0, 0, 0), (22, 2, ctypes.addressof(program), 0, 0)):
    assert libc.prctl(*map(ctypes.c_ulong, call)) == 0, ctypes.get_errno()
os.execv(sys.argv[1], sys.argv[1:])
"""


def without_mounts() -> list[str]:
    if MOUNT_NUMBER is None:
        pytest.skip("mount's number for here")
    return [sys.executable, "-c", WITHOUT_MOUNTS.format(number=MOUNT_NUMBER)]


def with_part_of_proc_hidden() -> list[str]:
    """As in a container: a folder of /proc covered, so no new /proc can be
    mounted in a namespace made beneath (the kernel shows none but whole)."""
    cover = 'mount -t tmpfs none /proc/sys && exec "$@"'
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", cover, "sh"]


@pytest.mark.parametrize("mode", ["strict", "best"])
@pytest.mark.parametrize(
    ("around", "missing"),
    [
        (
            without_user_namespaces,
            "user namespace (the kernel refused a user namespace)",
        ),
        (without_mounts, "user namespace (no capability in a user namespace"),
        (with_part_of_proc_hidden, "user namespace (no /proc of its own"),
    ],
    ids=["no-user-namespace", "no-capability", "proc-hidden"],
)
def test_a_user_namespace_the_sandbox_cannot_be_built_in(
    tmp_path, mode, around, missing
):
    """Where no user namespace can be made, or one can but no mount made in
    it, or no /proc of its own, strict refuses at the start saying so, and
    best builds with what is left (Landlock, the limits; before, where a
    namespace could be made, every block failed)."""
    body = attempts([tmp_path / "planted.txt"], "open(path, 'w')")
    content = write_site(tmp_path, {"post": body})
    result, log, output = build_wrapped(tmp_path, content, mode, around())
    if mode == "strict":
        assert result.returncode != 0
        assert "EXEC_SANDBOX=strict: refusing to build" in log and missing in log
        assert not output.exists()
    else:
        assert result.returncode == 0, log
        assert f"Missing: {missing}" in log
        assert lines_of(output, "post") == [
            f"{tmp_path / 'planted.txt'} refused: PermissionError"
        ]


def test_an_infinite_timeout_is_refused_at_its_line(tmp_path):
    body = '```python exec="on" timeout="inf"\nprint(1)\n```\n'
    content = write_site(tmp_path, {"forever": body})
    result, log, _ = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/forever.md:6: timeout='inf': expected seconds above 0" in log


def test_a_crafted_result_runs_no_code_in_the_builder(tmp_path):
    """A block owns its worker: it can write a pickle of its own to the pipe
    its results go through. The builder unpickles plain data only."""
    marker = tmp_path / "ran-in-the-builder"
    body = (
        '```python exec="on"\nimport pickle, struct, sys\n'
        "out = sys._getframe(2).f_locals['out']\n"
        "class Exploit:\n"
        "    def __reduce__(self):\n"
        f"        return (open, ({str(marker)!r}, 'w'))\n"
        "payload = pickle.dumps(Exploit())\n"
        "import os\nos.write(out, struct.pack('!I', len(payload)) + payload)\n```\n"
    )
    content = write_site(tmp_path, {"crafted": body})
    result, log, _ = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/crafted.md:6: the worker sent a result that is not plain data" in log
    assert "open, which is not allowed" in log
    assert not marker.exists()


def post_whose_figure_is(data: bytes, options: str = "") -> str:
    """A block that saves ``data`` as its figure (a block owns the worker
    that saves its figures)."""
    return (
        f'```python exec="on"{options}\nimport matplotlib.pyplot as plt\n'
        "figure = plt.figure()\nplt.plot([1, 2])\n"
        "def savefig(file, **options):\n"
        f"    file.write({data!r})\n"
        "figure.savefig = savefig\n```\n"
    )


def test_an_svg_figure_that_could_run_a_script_is_never_published(tmp_path):
    """A block owns the worker that saves its figures: it can make a figure's
    SVG any bytes, and an SVG opened on its own runs its scripts with the
    site's origin. The build fails at the block, and publishes no figure."""
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    content = write_site(tmp_path, {"scripted": post_whose_figure_is(svg)})
    result, log, output = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/scripted.md:6: the worker sent a malformed result" in log
    assert "an SVG that could run in a browser: a <script> element" in log
    published = [p for p in output.rglob("*.svg") if b"<script" in p.read_bytes()]
    assert published == []


def test_a_png_figure_that_is_a_page_is_never_published(tmp_path):
    """A block can make its PNG figure any bytes: a page, which a browser
    guessing the published file's type could open as one."""
    page = b"<!doctype html><script>alert(document.cookie)</script>"
    body = post_whose_figure_is(page, ' figure="png"')
    content = write_site(tmp_path, {"page_as_png": body})
    result, log, output = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/page_as_png.md:6: the worker sent a malformed result" in log
    assert "is not PNG data: it starts b'<!doctype html><'" in log
    published = [
        p for p in output.rglob("*") if p.is_file() and b"<script" in p.read_bytes()
    ]
    assert published == []


@pytest.mark.parametrize("named", ["absolute", "relative"])
def test_depends_cannot_open_a_file_outside_the_site_to_a_block(tmp_path, named):
    """``depends=`` opens a file to its session's sandbox: naming the
    builder's credentials, by an absolute path or up out of the content,
    would hand them to the block."""
    secret = tmp_path / "home" / ".aws" / "credentials"
    secret.parent.mkdir(parents=True)
    secret.write_text("aws_secret_access_key = PLANTED-SECRET\n")
    name = str(secret) if named == "absolute" else "../../home/.aws/credentials"
    body = (
        f'```python exec="on" depends="{name}"\n'
        f"print(open({str(secret)!r}).read())\n```\n"
    )
    content = write_site(tmp_path, {"credentials": body})
    result, log, output = build(tmp_path, content)
    assert result.returncode != 0
    assert f"posts/credentials.md:6: depends={name!r} is outside" in log
    assert "PLANTED-SECRET" not in log + everything_written(tmp_path, output)


def test_a_block_opens_its_depends_files_by_the_names_the_post_gives(tmp_path):
    """Named relative to the post's folder, a ``depends=`` file is at that
    path in the block's working directory too (it was only at its absolute
    path, which changes with the checkout); one that leads out of it is not."""
    body = (
        '```python exec="on" depends="data/numbers.csv ../shared.txt"\n'
        "import os\n"
        'print(open("data/numbers.csv").read().split())\n'
        'print(os.path.exists("../shared.txt"))\n'
        'open("result.txt", "w").write("scratch stays writable")\n```\n\n'
        "```output\n['1', '2', '3']\nFalse\n```\n"
    )
    content = write_site(tmp_path, {"reads": body})
    (content / "posts" / "data").mkdir()
    (content / "posts" / "data" / "numbers.csv").write_text("1\n2\n3\n")
    (content / "shared.txt").write_text("shared\n")
    result, log, output = build(tmp_path, content)
    assert result.returncode == 0, log
    assert not (content / "posts" / "result.txt").exists()


@pytest.mark.parametrize(
    "block",
    [
        '```python exec="on" raises="ValueError" match="(a|a)*b"\n'
        'raise ValueError("a" * 64)\n```\n',
        '```python exec="on"\nprint("x" * 20_000)\n```\n\n'
        '```output ellipsis="on"\n' + "...x" * 40 + "y\n```\n",
    ],
    ids=["match", "ellipsis"],
)
def test_a_pattern_that_backtracks_fails_its_block_instead_of_hanging(tmp_path, block):
    """A post chooses both a pattern the builder matches (``match=``, a
    claim's ``...``) and the text it is matched against: one that backtracks
    would keep the builder (which has no timeout of its own) busy for ever."""
    result, log, seconds = build_timed(tmp_path, {"backtracks": block})
    assert result.returncode != 0
    assert "posts/backtracks.md:" in log
    assert "took over 5 s to match (a pattern that backtracks)" in log
    assert seconds < 60, "the build hung on the pattern"


def test_a_block_cannot_make_the_builder_read_a_file_of_its_choice(tmp_path):
    """A worker lists the code files its block imported, which the builder
    reads to record their digests; a block can make that list anything (it
    owns its worker), here a FIFO that would block the builder for ever."""
    fifo = tmp_path / "never-written"
    os.mkfifo(fifo)
    body = (
        '```python exec="on"\nimport executable_blocks.worker as worker\n'
        f"worker.code_modules = lambda directories: ({str(fifo)!r},)\n"
        "print('listed')\n```\n"
    )
    result, log, seconds = build_timed(tmp_path, {"lists": body})
    assert result.returncode != 0
    assert "posts/lists.md:6: the worker sent a malformed result" in log
    assert "is not a file of the code directories" in log
    assert seconds < 60, "the builder read the FIFO"


def test_a_block_that_sends_its_own_result_cannot_outrun_its_timeout(tmp_path):
    """A block owns its worker: it sent a result of its own making, which
    stopped the zygote's clock for its session, then ran for ever; the
    build waited for it for ever."""
    body = (
        '```python exec="on" timeout="2"\nimport os, pickle, stat, time\n'
        "from executable_blocks import frames\n"
        "from executable_blocks.protocol import BlockResult\n"
        "forged = BlockResult('all fine\\n', '', None, (), (), (), 0.0, ())\n"
        "for fd in range(3, 64):\n"
        "    try:\n"
        "        if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
        "            os.write(fd, frames.frame(pickle.dumps(forged)))\n"
        "    except OSError:\n"
        "        pass\n"
        "time.sleep(3600)\n```\n"
    )
    result, log, seconds = build_timed(tmp_path, {"forges": body})
    assert result.returncode != 0
    assert "posts/forges.md:6: the worker process ran on after its session" in log
    assert seconds < 60, "the build waited for the block"


def test_a_huge_exception_message_does_not_flood_the_log(tmp_path):
    """A block raising a 20 MB message made a 40 MB build log (the message,
    then its traceback), which ``invoke build`` took minutes to pass on."""
    body = '```python exec="on"\nraise ValueError("x" * 20_000_000)\n```\n'
    result, log, seconds = build_timed(tmp_path, {"flood": body})
    assert result.returncode != 0
    assert "posts/flood.md:7: ValueError: xxx" in log
    assert "[... 19990000 more characters]" in log
    assert len(log) < 200_000
    assert seconds < 120


def test_escape_sequences_from_a_block_reach_the_log_as_text(tmp_path):
    """What a block prints and raises reaches the build's log: a terminal
    escape there could erase the error line above it or print over it."""
    body = (
        '```python exec="on"\n'
        'raise ValueError("gone\\x1b[1A\\x1b[2K\\rDone: all fine\\x07")\n```\n'
    )
    content = write_site(tmp_path, {"escapes": body})
    result, log, _ = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/escapes.md:7: ValueError: gone\\x1b[1A\\x1b[2K\\rDone" in log
    assert not any(c in log for c in "\x1b\r\x07")


def test_a_block_cannot_write_to_the_builds_own_output(tmp_path):
    """A worker held descriptors of the build's stdout and stderr (its
    terminal, its CI log): through them a block wrote escapes the log filter
    never saw. It writes to every descriptor it has; none reaches the log."""
    body = (
        '```python exec="on"\nimport os\n'
        "for fd in range(3, 1024):\n"
        "    try:\n"
        "        os.write(fd, b'\\x1b[2J\\x1b]52;c;cHduZWQ=\\x07INJECTED\\n')\n"
        "    except OSError:\n"
        "        pass\n```\n"
    )
    content = write_site(tmp_path, {"descriptors": body})
    _, log, _ = build(tmp_path, content)
    assert "posts/descriptors.md" in log  # (its own result pipe got the bytes too)
    assert "INJECTED" not in log
    assert "\x1b" not in log


@pytest.mark.parametrize(
    "ending, signal_name",
    [
        ("os.kill(os.getpid(), signal.SIGTERM)", "SIGTERM"),
        ("signal.alarm(1)\n    time.sleep(30)", "SIGALRM"),
    ],
)
def test_a_signal_a_block_does_not_handle_ends_it_as_elsewhere(
    tmp_path, ending, signal_name
):
    """The worker is PID 1 of its session's namespace, which the kernel
    spares the signals it does not handle; it ends on them all the same."""
    body = (
        '```python exec="on"\nimport os, signal, time\n'
        f"if True:\n    {ending}\nprint('still running')\n```\n"
    )
    result, log, seconds = build_timed(tmp_path, {"signalled": body})
    assert result.returncode != 0
    assert "posts/signalled.md:6: the worker process exited with code" in log
    assert f"(128 + {signal_name}: ended by it)" in log
    assert "still running" not in log
    assert seconds < 25, "it ran on until a timeout"


def site_in_its_own_folder(tmp_path: Path) -> tuple[Path, dict]:
    """A quickstart site whose content is its folder (``PATH = "."``), with
    a virtual environment in it as ``python -m venv`` makes one (its
    ``bin/python`` links to the system's), and the environment of its
    strict build (a state folder outside it)."""
    site = tmp_path / "site"
    (site / ".venv" / "bin").mkdir(parents=True)
    (site / ".venv" / "bin" / "python").symlink_to(os.path.realpath(sys.executable))
    (site / ".venv" / "lib64").symlink_to("lib")
    env = {**STRICT, "EXEC_STATE_DIR": str(tmp_path / "state")}
    return site, env


FIRST_POST = {"first.md": "Title: First\nDate: 2009-07-18\n\nHello.\n"}


def test_a_site_in_its_own_folder_builds_beside_its_venv(tmp_path):
    """``.venv/bin/python`` was "a link outside the content and code
    directories (Pelican would read, and publish, what it leads to)": a
    warning at every build, and strict ones refused; Pelican reads no such
    file (it has no reader's extension; Pelican 4.10 ignores ``.venv``)."""
    site, env = site_in_its_own_folder(tmp_path)
    result = quickstart_build(site, FIRST_POST, settings='PATH = "."\n', env=env)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "a link to" not in log
    assert (site / "output" / "first.html").exists()


def test_a_site_in_its_own_folder_still_refuses_a_static_file_linking_out(tmp_path):
    site, env = site_in_its_own_folder(tmp_path)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "credentials").write_text(SECRET)
    (site / "images").mkdir()
    (site / "images" / "photo.jpg").symlink_to(tmp_path / "home" / "credentials")
    result = quickstart_build(site, FIRST_POST, settings='PATH = "."\n', env=env)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "images/photo.jpg: a link to " in log and ".venv" not in log
    assert "EXEC_SANDBOX=strict: refusing to build" in log


def a_post_naming_a_link_out(tmp_path: Path, secret: str) -> Path:
    """A site with a link to a file of the builder's where Pelican does not
    walk (beside ``posts/``), which a post names in an ``{attach}`` link."""
    body = "Notes.\n\n[notes]({attach}../notes.txt)\n"
    content = write_site(tmp_path, {"notes": body})
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text(secret)
    (content / "notes.txt").symlink_to(tmp_path / "home" / "notes.txt")
    return content


def test_a_strict_build_refuses_a_post_naming_a_link_out_of_the_site(tmp_path):
    """Pelican copies what a post names wherever it lies in the content, a
    link's target too: a link Pelican does not walk to is refused once a
    post names it."""
    content = a_post_naming_a_link_out(tmp_path, SECRET)
    result, log, output = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/notes.md:8: a {static} or {attach} link to 'notes.txt'" in log
    assert "leads, through a link in " in log and "nothing is copied" in log
    assert not output.exists() or SECRET not in everything_written(tmp_path, output)


def test_a_best_build_warns_of_a_post_naming_a_link_out_of_the_site(tmp_path):
    content = a_post_naming_a_link_out(tmp_path, "a note of the owner's")
    result, log, _ = build(tmp_path, content, {"EXEC_SANDBOX": "best"})
    assert result.returncode == 0, log
    assert "WARNING" in log and "link to 'notes.txt' leads, through a link" in log


def stashed_link_out(tmp_path: Path, content: Path, name: str, text: str) -> None:
    """``content/stash/name``, where Pelican does not walk, a link to a file
    of the builder's holding ``text``."""
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / name).write_text(text)
    (content / "stash").mkdir()
    (content / "stash" / name).symlink_to(tmp_path / "home" / name)


def test_a_strict_build_refuses_a_link_out_reached_through_another_link(tmp_path):
    """A pull request adds ``stash/notes.md``, leading to a file of the
    builder's where Pelican does not walk, and ``posts/more``, leading to
    ``../stash``: Pelican walks ``posts/more/notes.md`` and would publish
    the builder's file as a post."""
    content = write_site(tmp_path, {"first": "A post.\n"})
    stashed_link_out(tmp_path, content, "notes.md", f"Title: Stolen\n\n{SECRET}\n")
    (content / "posts" / "more").symlink_to(content / "stash")
    result, log, output = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/more/notes.md: a link to " in log
    assert "EXEC_SANDBOX=strict: refusing to build" in log
    assert not output.exists() or SECRET not in everything_written(tmp_path, output)


def test_a_strict_build_refuses_a_post_naming_a_path_through_two_links(tmp_path):
    """``{static}`` through a link inside the content (``files`` to
    ``stash``) and then one leading out: the path as written passes through
    no link out, where it leads does."""
    body = "Notes.\n\n[notes]({static}/files/notes.txt)\n"
    content = write_site(tmp_path, {"notes": body})
    stashed_link_out(tmp_path, content, "notes.txt", SECRET)
    (content / "files").symlink_to(content / "stash")
    result, log, output = build(tmp_path, content)
    assert result.returncode != 0
    assert "a {static} or {attach} link to 'files/notes.txt' leads" in log
    assert not output.exists() or SECRET not in everything_written(tmp_path, output)
