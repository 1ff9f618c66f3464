"""The dance's stages on both cores: bounded producer threads, ordered, cancelled together.

The puppet's work is a chain with one barrier: decode the reference → track its dancer
(MediaPipe) → [the whole track is needed: the choreography's typical torso and bone
lengths are over all frames] → render every frame → the job's watermark and encoder.
Photo analysis and rigging need no reference, so they run beside the tracking. Before
the barrier, decoding and scaling (PyAV and swscale release the GIL) run one frame ahead
of the tracker in a producer thread; after it, rendering runs a few frames ahead of the
job's thread (watermark) and its encoder thread.

MediaPipe's Python API hands every result to Python callbacks that need the GIL, so a
thread busy in Python slows the tracker down (measured: 4.7 s alone, 16.6 s beside a pure
Python loop, 120 frames). The stages beside it are therefore ones that spend their time
in C (decoding, OpenCV, NumPy), never a Python loop.

Guarantees: items come out in the order they were made; a queue holds at most
``depth`` items (peak memory bounded, no whole-video lists); the first exception of any
stage is raised in the consumer and stops every other stage; leaving the ``with`` block
(normally, by an exception, or by the job's cancellation raised from a progress
callback) stops and joins every thread before it returns. With ``threaded=False``
everything runs in the caller's thread, in the same order: the reference the pipelined
path is tested against.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL_S = 0.05  # how often a blocked stage looks whether it should stop
_DONE = object()


class StoppedError(Exception):
    """Raised inside a stage's thread when the pipeline is being torn down."""


class Pending(Generic[T]):
    """The result of a stage run beside the caller (or already run, when sequential)."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None

    def _set(self, value: T | None, error: BaseException | None) -> None:
        self._value, self._error = value, error
        self._done.set()

    def failed(self) -> BaseException | None:
        """The stage's exception if it already failed (does not wait)."""
        return self._error if self._done.is_set() else None

    def result(self, stopped: threading.Event, tick: Callable[[], None] | None = None) -> T:
        """Wait for the stage; its exception is raised here. ``tick`` is called while
        waiting (a progress report, which raises when the job is cancelled)."""
        while not self._done.wait(_POLL_S):
            if stopped.is_set():
                raise StoppedError("the pipeline was stopped")
            if tick is not None:
                tick()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


class Stages:
    """A set of stage threads that live and die together (use as a context manager)."""

    def __init__(self, name: str, *, threaded: bool = True) -> None:
        self.name = name
        self.threaded = threaded
        self.stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Stages:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop every stage and wait for its thread to end."""
        self.stopped.set()
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def _start(self, target: Callable[[], None], what: str) -> None:
        thread = threading.Thread(target=target, name=f"reelvault-{self.name}-{what}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def beside(self, what: str, work: Callable[[], T]) -> Pending[T]:
        """Run ``work`` in its own thread (in this one when not threaded)."""
        pending: Pending[T] = Pending()

        def run() -> None:
            try:
                pending._set(work(), None)
            except BaseException as exc:  # handed to whoever waits on it
                pending._set(None, exc)

        if self.threaded:
            self._start(run, what)
        else:
            run()
        return pending

    def ahead(self, what: str, items: Iterator[T], depth: int) -> Iterator[T]:
        """``items`` made in their own thread, at most ``depth`` ahead of the consumer."""
        if not self.threaded:
            return items
        slots: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._start(lambda: self._produce(items, slots), what)
        return self._consume(slots)

    def _produce(self, items: Iterator[T], slots: queue.Queue[object]) -> None:
        try:
            for item in items:
                if not self._put(slots, item):
                    return
            self._put(slots, _DONE)
        except BaseException as exc:  # raised again in the consumer
            self._put(slots, exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's own cleanup (a decoder's file) runs here

    def _put(self, slots: queue.Queue[object], item: object) -> bool:
        while not self.stopped.is_set():
            try:
                slots.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _consume(self, slots: queue.Queue[object]) -> Iterator[T]:
        finished = False
        try:
            while True:
                try:
                    item = slots.get(timeout=_POLL_S)
                except queue.Empty:
                    if self.stopped.is_set():
                        raise StoppedError("the pipeline was stopped") from None
                    continue
                if item is _DONE:
                    finished = True
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            if not finished:
                # The consumer stopped early (an error downstream, a cancelled job):
                # no stage may run on.
                self.stopped.set()


__all__ = ["Pending", "StoppedError", "Stages"]
