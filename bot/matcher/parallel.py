"""The forked index build. Analysing the texts of a large knowledge base is most of the
build time, so from ``PARALLEL_AT`` texts on, ``map_halves`` runs the second half in a
forked child that sends its result back marshalled through a pipe (far cheaper than
analysing it). The fork is skipped where it is not safe (no fork, one CPU, not the main
thread), and anything going wrong with the child only means the parent does it all."""

from __future__ import annotations

import logging
import marshal
import os
import select
import signal
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__package__)  # the matcher's logger, as before the split

CHILD_TIMEOUT = 120.0  # seconds the parent waits for the child's half of the index
PARALLEL_AT = 4000  # entry texts from which the index is built in two processes
# The child's work costs it this much more than the same work costs the parent: it
# marshals its result (about a tenth of the time it took to compute, measured on the
# 10,000-entry index of bench/scale.py) and pays the fork's copy-on-write faults; it gets
# that much less to do, so that the parent does not sit waiting for it.
CHILD_OVERHEAD = 0.1


class _Child:
    """A forked process computing one function call, read back through a pipe."""

    def __init__(self, pid: int, read: int):
        self.pid, self.read = pid, read

    def result(self, timeout: float = CHILD_TIMEOUT) -> Any:
        """The child's return value, or None when it failed or took too long."""
        chunks, deadline = [], time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read], [], [], left)[0]:
                return None
            chunk = os.read(self.read, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        try:
            return marshal.loads(b"".join(chunks))
        except (EOFError, ValueError, TypeError):
            return None

    def close(self) -> None:
        """Stop the child if it still runs, and reap it."""
        os.close(self.read)
        try:
            if os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _fork(function, argument) -> _Child | None:
    """Run function(argument) in a forked child, or say None when that is not safe
    here: no fork on this platform, a single CPU, or not the main thread (a reload in
    a worker thread of the running bot builds in one process)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if not hasattr(os, "fork") or (cpus or 1) < 2 or \
            threading.current_thread() is not threading.main_thread():
        return None
    try:
        read, write = os.pipe()
    except OSError:
        return None
    try:
        with warnings.catch_warnings():  # 3.12+ warns of other threads (numpy's BLAS
            warnings.simplefilter("ignore", DeprecationWarning)  # pool): the child
            pid = os.fork()  # only analyses text and leaves with os._exit
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: compute, write, leave without running any cleanup
        code = 1
        try:
            os.close(read)
            signal.set_wakeup_fd(-1)  # the parent's event loop is not ours to wake
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(marshal.dumps(function(argument)))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return _Child(pid, read)


def map_halves(work: Callable[[list], list], items: list, sizes: list[int] | None = None,
               meanwhile: Callable[[], Any] | None = None, extra: int = 0) -> list:
    """``work(items)``, computed as work(first part) + work(the rest) with the rest in a
    forked child when the work's size (the sum of ``sizes``, by default one per item) is
    PARALLEL_AT or more. ``meanwhile()``, of about ``extra`` in size, is run by the
    parent before it waits for the child, and the cut gives both processes as much to
    do (the child's overhead counted: ``CHILD_OVERHEAD``). ``work`` must return one
    marshallable result per item."""
    sizes = sizes if sizes is not None else [1] * len(items)
    child = None
    if sum(sizes) >= PARALLEL_AT:
        # the parent's part p, so that p + extra = (rest) x (1 + CHILD_OVERHEAD)
        total = sum(sizes)
        target = ((1 + CHILD_OVERHEAD) * total - extra) / (2 + CHILD_OVERHEAD)
        cut, done = 0, 0
        while cut < len(items) and done + sizes[cut] <= target:
            done += sizes[cut]
            cut += 1
        child = _fork(work, items[cut:])
    if child is None:
        out = work(items)
        if meanwhile is not None:
            meanwhile()
        return out
    try:
        mine = work(items[:cut])
        if meanwhile is not None:
            meanwhile()
        theirs = child.result()
    finally:
        child.close()
    if theirs is None or len(theirs) != len(items) - cut:
        log.warning("index build: the helper process failed; analysing its half here")
        theirs = work(items[cut:])
    return mine + theirs
