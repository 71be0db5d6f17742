"""The outbox path of a run: messages rendered, recorded and written a batch at a time.

Sending through the outbox is local, so its cost is the run's own work: rendering, the
ledger's commits and creating files. Per message that was an fsync for the .eml and three
fsynced commits (more than the rendering itself); per batch of 256 it is now two commits and
one file-system sync, with the files written by a helper thread and, on a machine with more
than one core, two thirds of the rendering done by a helper process.

The exactly-once order per batch (docs/architecture.md, "Batched outbox writes"): every
message of the batch is `sending` with its Message-ID, committed, before its file is
written; the files are durable before any of them is recorded as written. A crash in
between leaves `sending` rows, which recovery settles by finding the .eml by Message-ID
(found: written; not found: nothing left the machine, sent again next run).
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any, Literal, Protocol

from . import speedups
from .deliver.base import SendResult
from .deliver.outbox import OutboxBackend
from .delivery import Unrendered, already_done, message_subject, render_one
from .ledger import Ledger
from .mime import WireMessage, known_headers
from .models import Action, Delivery

BATCH = 256
LOCAL_SHARE = 3  # with a helper process, this process renders every third batch itself
AHEAD = 2  # batches queued for the helper at any time

# the message (parsed, or as the helper process sent it back), or why there is none
Rendered = EmailMessage | WireMessage | Unrendered
# what the helper process sends back for each: ("wire", (bytes, headers, recipient)),
# ("bytes", bytes), or the Unrendered as it is
Shipped = tuple[Literal["wire", "bytes"], Any] | Unrendered


class Sender(Protocol):
    ledger: Ledger
    backend: OutboxBackend
    renderer: Any
    run_id: str
    today: date
    now: datetime


def deliver_to_outbox(sender: Sender, actions: tuple[Action, ...]) -> Iterator[Delivery]:
    """Deliveries for `actions`, in their order, a batch at a time."""
    sender.backend.open()
    batches = [actions[i : i + BATCH] for i in range(0, len(actions), BATCH)]
    with _gc_frozen(), _helper(sender, len(batches)) as helper:
        rendered = _rendered(sender, batches, helper)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlsdun-outbox") as writer:
            in_flight = None
            for batch, results in zip(batches, rendered, strict=True):
                done, ready = _record_sending(sender, batch, results)
                if in_flight is not None:
                    yield from _record_written(sender.ledger, *in_flight)
                in_flight = (writer.submit(_write, sender.backend, ready), ready, done, batch)
            if in_flight is not None:
                yield from _record_written(sender.ledger, *in_flight)


@contextmanager
def _gc_frozen() -> Iterator[None]:
    """Leave the objects that exist now (receivables, plan, history) out of the cyclic garbage
    collector's scans while thousands of messages are built: those scans of the whole heap
    otherwise cost a fifth of the rendering."""
    if not speedups.enabled("gc"):
        yield
        return
    gc.freeze()  # with the other GC pauses: 3-4% of `run --quiet` at 20,000 (speedups.py)
    try:
        yield
    finally:
        gc.unfreeze()


# -- rendering, here and in a helper process -----------------------------------------------------

_HELPER_STATE: tuple[Any, date, datetime] | None = None
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_CHECK_SECONDS = 0.5


def _start_helper(renderer: Any, today: date, now: datetime, parent: int) -> None:
    global _HELPER_STATE
    _die_with_parent(parent)
    _HELPER_STATE = (renderer, today, now)


def _die_with_parent(parent: int) -> None:
    """In the helper: end when the run ends, however it ends. A helper orphaned by a killed
    run would otherwise wait forever on its work queue (it holds that pipe's write end too,
    so it never sees the end of it). The kernel signals the death (PR_SET_PDEATHSIG); where
    it cannot, a thread watches the parent. A parent gone before either began: end now."""
    signalled = _set_pdeathsig()
    if os.getppid() != parent:
        os._exit(0)
    if not signalled:
        threading.Thread(
            target=_watch_parent, args=(parent,), name="xlsdun-parent-watch", daemon=True
        ).start()


def _set_pdeathsig() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; whether that was granted."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


@contextmanager
def _helper(sender: Sender, batches: int) -> Iterator[ProcessPoolExecutor | None]:
    """A forked helper process that renders, when it pays: Linux (fork is cheap and safe
    here: it happens before the writer thread starts), two cores or more, several batches.
    Elsewhere everything renders in this process, with the same results. The helper does
    not hold the run lock (a record lock is not inherited, runlock.py) and dies with this
    process (`_die_with_parent`)."""
    usable = (
        sys.platform.startswith("linux")
        and (os.cpu_count() or 1) > 1
        and batches >= 2
        and speedups.enabled("fork")
    )
    if not usable:
        yield None
        return
    # Measured (benchmarks/speedups.py): 11-18% of `run --quiet` at 20,000 invoices.
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=context,
        initializer=_start_helper,
        initargs=(sender.renderer, sender.today, sender.now, os.getpid()),
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _render_remote(batch: tuple[Action, ...]) -> list[Shipped]:
    """In the helper: each action's message as bytes and plain headers (a parsed EmailMessage
    would cost more to send back than to build)."""
    assert _HELPER_STATE is not None
    renderer, today, now = _HELPER_STATE
    return [_shipped(render_one(renderer, a, today, now)) for a in batch]


def _shipped(rendered: EmailMessage | Unrendered) -> Shipped:
    if isinstance(rendered, Unrendered):
        return rendered
    known = known_headers(rendered)
    if known is not None:
        return "wire", (rendered.as_bytes(), *known)
    return "bytes", rendered.as_bytes()


def _rendered(
    sender: Sender, batches: list[tuple[Action, ...]], helper: ProcessPoolExecutor | None
) -> Iterator[list[Rendered]]:
    """Each batch's render results, in order. The helper works at most two batches ahead, so
    a 200,000-invoice run never holds more than a few batches of messages."""
    remote = [k for k in range(len(batches)) if helper is not None and k % LOCAL_SHARE]
    futures: dict[int, Future[list[Shipped]]] = {}

    def submit_next() -> None:
        if remote and helper is not None:
            k = remote.pop(0)
            futures[k] = helper.submit(_render_remote, batches[k])

    for _ in range(AHEAD):
        submit_next()
    for k, batch in enumerate(batches):
        if k in futures:
            results = futures.pop(k).result()
            submit_next()
            yield [_from_helper(shipped) for shipped in results]
        else:
            yield [render_one(sender.renderer, a, sender.today, sender.now) for a in batch]


def _from_helper(shipped: Shipped) -> Rendered:
    if isinstance(shipped, Unrendered):
        return shipped
    kind, value = shipped
    if kind == "wire":
        return WireMessage(*value)
    return WireMessage.parse(value)


# -- the ledger and the files --------------------------------------------------------------------


def _message_id(message: Any) -> str:
    known = known_headers(message)
    return known[0]["Message-ID"] if known else str(message["Message-ID"])


def _record_sending(
    sender: Sender, batch: tuple[Action, ...], results: list[Rendered]
) -> tuple[list[Delivery], list[tuple[int, Action, Any, str]]]:
    """One transaction: each message `sending` with its Message-ID, or why not."""
    ledger = sender.ledger
    done: list[Delivery] = []
    ready: list[tuple[int, Action, Any, str]] = []
    with ledger.transaction():
        for action, rendered in zip(batch, results, strict=True):
            send_id = ledger.begin(sender.run_id, sender.today, action, sender.backend.name)
            if send_id is None:
                done.append(already_done(ledger, action, sender.today))
                continue
            if isinstance(rendered, Unrendered):
                ledger.mark(send_id, rendered.outcome, detail=rendered.detail)
                done.append(rendered.delivery(action))
                continue
            message_id = _message_id(rendered)
            subject = message_subject(rendered)
            ledger.mark(send_id, "sending", message_id=message_id, subject=subject)
            ready.append((send_id, action, rendered, message_id))
    return done, ready


def _write(backend: OutboxBackend, ready: list[tuple[int, Action, Any, str]]) -> list[SendResult]:
    """In the writer thread: the batch's files, then one sync that makes them all durable."""
    results = [backend.write(message) for _, _, message, _ in ready]
    backend.flush()
    return results


def _record_written(
    ledger: Ledger,
    written: Future[list[SendResult]],
    ready: list[tuple[int, Action, Any, str]],
    done: list[Delivery],
    batch: tuple[Action, ...],
) -> list[Delivery]:
    """Once a batch's files are durable, one transaction records them as written."""
    results = written.result()
    with ledger.transaction():
        for (send_id, action, _, message_id), result in zip(ready, results, strict=True):
            done.append(ledger.record(send_id, action, message_id, result))
    order = {id(a): i for i, a in enumerate(batch)}
    return sorted(done, key=lambda d: order[id(d.action)])
