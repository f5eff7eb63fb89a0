"""Dynamic batching: faces from concurrent requests are embedded together.

Each request hands its aligned crops to :meth:`EmbeddingBatcher.embed` and blocks. One worker
thread takes queued crops, up to ``max_batch`` faces, and runs the recognizer once for all of
them. The worker waits up to ``max_wait`` for more crops only while other requests are in flight
that have not queued theirs yet; a lone request never waits.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from core.metrics import BATCH_SIZE, QUEUE_TIME


class Overloaded(Exception):
    """More work is queued than the memory budget allows."""


@dataclass
class _Job:
    crops: np.ndarray
    result: Future = field(default_factory=Future)
    queued_at: float = field(default_factory=time.monotonic)


class EmbeddingBatcher:
    def __init__(self, embed: Callable[[np.ndarray], np.ndarray], max_batch: int, max_wait_s: float,
                 max_queued_bytes: int) -> None:
        self._embed = embed
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._max_queued_bytes = max_queued_bytes
        self._queue: deque[_Job] = deque()
        self._queued_bytes = 0
        self._expected: set[int] = set()  # requests in flight that have not handed in their crops
        self._condition = threading.Condition()
        self._stopped = False
        self._worker = threading.Thread(target=self._run, name="embedding-batcher", daemon=True)
        self._worker.start()

    @contextmanager
    def request(self) -> Iterator[None]:
        """Marks a request that may call :meth:`embed` (once), so that the worker waits for it."""
        owner = threading.get_ident()
        with self._condition:
            self._expected.add(owner)
        try:
            yield
        finally:
            with self._condition:
                self._expected.discard(owner)
                self._condition.notify_all()

    def embed(self, crops: np.ndarray) -> tuple[np.ndarray, int]:
        """Embeddings of ``crops`` and the largest batch they were computed in."""
        jobs = [_Job(crops[i:i + self._max_batch]) for i in range(0, len(crops), self._max_batch)]
        size = sum(job.crops.nbytes for job in jobs)
        with self._condition:
            if self._stopped:
                raise RuntimeError("the embedding batcher is stopped")
            if self._queued_bytes + size > self._max_queued_bytes and self._queue:
                raise Overloaded("Server is busy: too many faces waiting for embedding, try again")
            self._queue.extend(jobs)
            self._queued_bytes += size
            self._expected.discard(threading.get_ident())
            self._condition.notify_all()
        results = [job.result.result() for job in jobs]
        return np.concatenate([embeddings for embeddings, _ in results]), max(batch for _, batch in results)

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify_all()
        self._worker.join(timeout=5)

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            taken = time.monotonic()
            for job in batch:
                QUEUE_TIME.observe(taken - job.queued_at)
            crops = np.concatenate([job.crops for job in batch])
            BATCH_SIZE.observe(len(crops))
            try:
                embeddings = self._embed(crops)
            except Exception as error:  # hand any failure to the waiting requests
                for job in batch:
                    job.result.set_exception(error)
                continue
            start = 0
            for job in batch:
                job.result.set_result((embeddings[start:start + len(job.crops)], len(crops)))
                start += len(job.crops)

    def _next_batch(self) -> list[_Job] | None:
        with self._condition:
            while not self._queue and not self._stopped:
                self._condition.wait()
            if self._stopped:
                return None
            deadline = time.monotonic() + self._max_wait_s
            while self._worth_waiting() and (left := deadline - time.monotonic()) > 0:
                self._condition.wait(left)
            batch, faces = [], 0
            while self._queue and faces + len(self._queue[0].crops) <= self._max_batch:
                job = self._queue.popleft()
                batch.append(job)
                faces += len(job.crops)
                self._queued_bytes -= job.crops.nbytes
            return batch

    def _worth_waiting(self) -> bool:
        """Room left in the batch and a request in flight that has queued nothing yet."""
        queued_faces = sum(len(job.crops) for job in self._queue)
        return queued_faces < self._max_batch and bool(self._expected)
