"""importers.collector: the cycle collector paused and resumed as the import's callers need,
in any order their threads enter and leave, and left as it was before the first pause."""

from __future__ import annotations

import gc
from contextlib import ExitStack

import pytest

from editorial.importers.collector import collector_paused, collector_running


@pytest.fixture(autouse=True)
def collector_as_found():
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_a_pause_turns_it_off_and_back_on_and_nested_pauses_wait_for_the_outer_one():
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_per_file_path_runs_it_inside_a_pause():
    with collector_paused():
        with collector_running():
            assert gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_two_threads_leaving_in_the_other_order_leave_it_on():
    """Thread A pauses, thread B writes per file, A ends first: B must not turn it off
    for good as it leaves."""
    a, b = ExitStack(), ExitStack()
    a.enter_context(collector_paused())
    b.enter_context(collector_running())
    assert gc.isenabled()
    a.close()
    assert gc.isenabled()
    b.close()
    assert gc.isenabled()


def test_a_pause_begun_inside_another_threads_per_file_write_keeps_it_running_until_then():
    a, b = ExitStack(), ExitStack()
    b.enter_context(collector_running())
    a.enter_context(collector_paused())
    assert gc.isenabled()
    b.close()
    assert not gc.isenabled()
    a.close()
    assert gc.isenabled()


def test_a_collector_the_application_turned_off_stays_off():
    gc.disable()
    with collector_paused(), collector_running():
        assert not gc.isenabled()
    assert not gc.isenabled()
    with collector_running():
        assert not gc.isenabled()
