"""A stream of requests from several client threads, with a fault injected part-way; every answer is kept."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import requests

from tests.hardening.client import error_of


@dataclass(frozen=True)
class Answer:
    index: int
    status: int             # 0: no HTTP answer (connection refused or reset)
    code: int | None        # CompreFace's error code, when the answer is an error
    message: str
    body: object            # the JSON body of a success
    seconds: float          # how long the request took
    after_fault: bool       # sent after the fault was injected


def run_stream(send: Callable[[int], requests.Response], count: int, clients: int,
               fault: Callable[[], None], fault_after: int) -> list[Answer]:
    """Calls ``send(0..count-1)`` from ``clients`` threads; ``fault()`` runs once ``fault_after`` answers
    are in. Answers are returned in index order."""
    injected = threading.Event()

    def one(index: int) -> Answer:
        after_fault = injected.is_set()
        started = time.monotonic()
        try:
            response = send(index)
        except requests.RequestException as error:
            return Answer(index, 0, None, type(error).__name__, None, time.monotonic() - started, after_fault)
        seconds = time.monotonic() - started
        status, code, message = error_of(response)
        body = response.json() if status < 300 else None
        return Answer(index, status, code, message, body, seconds, after_fault)

    answers = []
    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(one, index) for index in range(count)]
        for done, future in enumerate(as_completed(futures), start=1):
            answers.append(future.result())
            if done == fault_after:
                fault()
                injected.set()
    return sorted(answers, key=lambda answer: answer.index)


def summary(answers: list[Answer]) -> dict[str, object]:
    """The figures of a stream for docs/hardening.md."""
    failures = [answer for answer in answers if answer.status >= 300 or answer.status == 0]
    return {"requests": len(answers),
            "answers": Counter(f"{a.status} code {a.code}" if a.code is not None else str(a.status) for a in answers),
            "failures": len(failures),
            "slowest_failure_s": round(max((a.seconds for a in failures), default=0.0), 2),
            "slowest_answer_s": round(max((a.seconds for a in answers), default=0.0), 2)}
