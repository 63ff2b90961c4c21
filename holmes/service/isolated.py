"""Investigations in child processes: they never hold the server's GIL, so webhook acks stay fast, and a crash
or a hang in one investigation cannot take the server down."""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from contextlib import ExitStack, suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from holmes.config import Settings
from holmes.domain import Diagnosis, Trigger
from holmes.errors import UserError
from holmes.service.investigator import InvestigationError, Progress

log = logging.getLogger("holmes.service.isolated")

START_TIMEOUT_S = 180.0
NICE = 10  # investigations yield the CPU to acknowledgements under load


class InvestigationCrashed(InvestigationError):
    """The child process died or stopped answering; the attempt is retried in a fresh child."""


class ProcessInvestigator:
    """One child process per concurrent investigation, each with its own data sources opened once."""

    def __init__(self, settings: Settings, bundle: Path | None, processes: int, use_llm: bool = True,
                 timeout_s: float | None = None) -> None:
        self._settings = settings
        self._bundle = bundle
        self._use_llm = use_llm
        self._timeout_s = timeout_s or max(60.0, 2 * settings.agent.max_wall_s)
        self._context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        self._idle: queue.Queue[_Child] = queue.Queue()
        self._children: list[_Child] = []
        self._lock = threading.Lock()
        self._closed = False
        try:
            for _ in range(max(1, processes)):
                self._add(self._spawn())
            for child in list(self._children):
                child.wait_ready()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> ProcessInvestigator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __call__(self, trigger: Trigger, progress: Progress) -> Diagnosis:
        child = self._idle.get()
        try:
            data = child.investigate(trigger, progress, self._timeout_s)
        except InvestigationCrashed:
            self._replace(child)
            raise
        self._idle.put(child)
        return Diagnosis.model_validate(data)

    @property
    def pids(self) -> list[int]:
        """The investigation processes (for operators and tests)."""
        with self._lock:
            return [child.process.pid for child in self._children]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            children, self._children = self._children, []
        for child in children:
            child.stop()

    def _spawn(self) -> _Child:
        return _Child(self._context, self._settings, self._bundle, self._use_llm)

    def _add(self, child: _Child) -> None:
        with self._lock:
            if self._closed:
                child.stop()
                return
            self._children.append(child)
        self._idle.put(child)

    def _replace(self, child: _Child) -> None:
        child.stop()
        with self._lock:
            if child in self._children:
                self._children.remove(child)
        fresh = self._spawn()
        try:
            fresh.wait_ready()
        except UserError:
            log.exception("a replacement investigation process failed to start")
            fresh.stop()
            fresh = self._spawn()  # keep the pool at its size; it fails again loudly if the cause persists
        self._add(fresh)


class _Child:
    """One child process and the pipe the parent talks to it through."""

    def __init__(self, context: Any, settings: Settings, bundle: Path | None, use_llm: bool) -> None:
        parent_end, child_end = context.Pipe()
        self.conn: Connection = parent_end
        self.process = context.Process(target=_child_main, name="holmes-investigation",
                                       args=(child_end, settings, bundle, use_llm, os.getpid()), daemon=True)
        self.process.start()
        child_end.close()  # so the child sees EOF if this process dies

    def wait_ready(self) -> None:
        if not self.conn.poll(START_TIMEOUT_S):
            raise UserError(f"the investigation process did not start within {START_TIMEOUT_S:.0f} s")
        try:
            kind, value = self.conn.recv()
        except EOFError:
            raise UserError(f"the investigation process exited at start (code {self.process.exitcode})") from None
        if kind != "ready":
            raise UserError(str(value))

    def investigate(self, trigger: Trigger, progress: Progress, timeout_s: float) -> Any:
        deadline = time.monotonic() + timeout_s
        try:
            self.conn.send(trigger.model_dump(mode="json"))
            while True:
                if not self.conn.poll(max(0.0, deadline - time.monotonic())):
                    raise InvestigationCrashed(f"the investigation did not finish within {timeout_s:.0f} s")
                kind, value = self.conn.recv()
                if kind == "progress":
                    progress(value)
                elif kind == "result":
                    return value
                else:
                    raise InvestigationError(value)
        except (EOFError, OSError) as exc:
            raise InvestigationCrashed(f"the investigation process died ({type(exc).__name__}, "
                                       f"exit code {self.process.exitcode})") from None

    def stop(self) -> None:
        with suppress(OSError):
            self.conn.close()
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


def _child_main(conn: Connection, settings: Settings, bundle: Path | None, use_llm: bool, parent: int) -> None:
    """The child: open the sources once, then answer triggers until the parent goes away."""
    from holmes.service.investigator import open_investigator

    with suppress(OSError):
        os.nice(NICE)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # unwind, so sources (a Prometheus, say) are stopped
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    with ExitStack() as stack:
        try:
            investigator = stack.enter_context(open_investigator(settings, bundle, use_llm=use_llm))
        except Exception as exc:
            conn.send(("error", _one_line(exc)))
            return
        conn.send(("ready", None))
        _serve(conn, investigator)


def _serve(conn: Connection, investigator: Any) -> None:
    def progress(line: str) -> None:
        conn.send(("progress", str(line)))

    while True:
        try:
            trigger = Trigger.model_validate(conn.recv())
        except (EOFError, OSError):
            return
        try:
            diagnosis = investigator(trigger, progress)
        except Exception as exc:
            conn.send(("error", _one_line(exc)))
        else:
            conn.send(("result", diagnosis.model_dump(mode="json")))


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _exit_with_parent(parent: int) -> None:
    """A SIGKILLed server leaves no investigation running behind it."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(10)
    os._exit(1)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, UserError):
        return first
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
