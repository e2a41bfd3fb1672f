"""isthmus.pools: a Ctrl-C is never lost while the fork server starts, and the server does not see it."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading

import pytest

from isthmus import pools

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or "forkserver" not in multiprocessing.get_all_start_methods(), reason="POSIX fork server"
)


def test_a_ctrl_c_while_the_fork_server_starts_is_raised_once_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # class: SIGINT was ignored while the server started: a Ctrl-C then was lost and the program ran its whole queue
    from multiprocessing import forkserver

    assert threading.current_thread() is threading.main_thread()
    seen_blocked: list[bool] = []

    def ensure_running() -> None:  # the Ctrl-C lands while the server starts
        seen_blocked.append(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set()))
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(forkserver, "ensure_running", ensure_running)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            pools._start_server(multiprocessing.get_context("forkserver"))
            for _ in range(1000):  # a pending signal's handler runs between bytecodes, right after the unblock
                pass
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen_blocked == [True]  # the server, started meanwhile, inherits the blocked mask: it never sees it
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())  # and the mask is back
