"""The plugin's settings, checked where they are read."""

import pytest

from executable_blocks.blocks import MAX_TIMEOUT
from pelican.plugins.executable_posts.settings import (
    configured,
    figures_folder,
    sandbox_settings,
    timeout_max,
)


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):
    for name in ("EXEC_SANDBOX", "EXEC_PROCESSES", "EXEC_PASS_ENV", "EXEC_TIMEOUT_MAX"):
        monkeypatch.delenv(name, raising=False)


def test_a_session_may_be_bound_to_fewer_processes_than_the_reserved_pids():
    """The bound is pid_max above the 300 reserved PIDs: any count from 1."""
    policy, _ = sandbox_settings({"EXEC_PROCESSES": 20})
    assert policy["processes"] == 20
    assert sandbox_settings({})[0]["processes"] == 300


@pytest.mark.parametrize("count", [0, -5, 5_000_000])
def test_a_process_bound_the_kernel_cannot_set_stops_the_build(count):
    with pytest.raises(SystemExit, match=f"EXEC_PROCESSES={count}: from 1 to"):
        sandbox_settings({"EXEC_PROCESSES": count})


def test_a_setting_of_zero_is_zero_not_the_default():
    """``configured`` fell back to the default on any false value."""
    assert configured({"EXEC_PROCESSES": 0}, "EXEC_PROCESSES", 300) == 0
    assert configured({"EXEC_PROCESSES": ""}, "EXEC_PROCESSES", 300) == 300
    assert configured({}, "EXEC_PROCESSES", 300) == 300


def test_the_environment_wins_over_the_setting(monkeypatch):
    monkeypatch.setenv("EXEC_PROCESSES", "40")
    assert sandbox_settings({"EXEC_PROCESSES": 20})[0]["processes"] == 40


@pytest.mark.parametrize("value", ["soon", "inf", "nan", "0", "-1", [60]])
def test_a_timeout_maximum_that_is_not_finite_seconds_stops_the_build(value):
    with pytest.raises(SystemExit, match="EXEC_TIMEOUT_MAX=.*: expected a finite"):
        timeout_max({"EXEC_TIMEOUT_MAX": value})


def test_the_timeout_maximum_defaults_to_the_engines():
    assert timeout_max({}) == MAX_TIMEOUT
    assert timeout_max({"EXEC_TIMEOUT_MAX": "90"}) == 90.0


@pytest.mark.parametrize("value", ["/figures", "../figures", "a/../../b", "", "a//b"])
def test_a_figures_folder_outside_the_output_stops_the_build(value):
    """(An absolute one wrote on the builder's disk and linked ``//figures/``,
    a URL on another host.)"""
    with pytest.raises(SystemExit, match="EXEC_FIGURES_DIR=.*: expected a folder"):
        figures_folder({"EXEC_FIGURES_DIR": value})


def test_a_figures_folder_may_be_nested_in_the_output():
    assert figures_folder({}) == "figures"
    assert figures_folder({"EXEC_FIGURES_DIR": "media/figures"}) == "media/figures"
