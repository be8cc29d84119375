"""The test suite's own helpers where they decide what runs: the strict
sandbox's tests are skipped on a kernel that cannot give it, unless the
run must have it."""

import pytest

import helpers


@pytest.fixture
def kernel_without_landlock(monkeypatch):
    missing = {"landlock": "the kernel has no Landlock"}
    monkeypatch.setattr(helpers, "strict_sandbox_missing", lambda: missing)
    monkeypatch.delenv("REQUIRE_STRICT", raising=False)
    monkeypatch.delenv("EXEC_SANDBOX", raising=False)


def test_strict_sandbox_tests_are_skipped_where_the_kernel_cannot_give_it(
    kernel_without_landlock,
):
    with pytest.raises(pytest.skip.Exception, match="Landlock"):
        helpers.require_strict_sandbox()


@pytest.mark.parametrize(
    "variable", [("REQUIRE_STRICT", "1"), ("EXEC_SANDBOX", "strict")]
)
def test_a_run_that_must_have_the_strict_sandbox_fails_without_it(
    kernel_without_landlock, monkeypatch, variable
):
    monkeypatch.setenv(*variable)
    with pytest.raises(RuntimeError, match="Landlock .file access. .the kernel has"):
        helpers.require_strict_sandbox()
