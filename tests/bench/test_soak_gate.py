"""bench.soak's RequestGate: a quiet reading waits for the requests in flight and holds the next ones."""

import threading
import time

from bench.soak import RequestGate


def test_a_quiet_moment_waits_for_the_request_in_flight_and_holds_the_next() -> None:
    gate, events = RequestGate(), []
    answered, second_may_start = threading.Event(), threading.Event()

    def first_request() -> None:
        with gate.request():
            events.append("first started")
            answered.wait(5)
            events.append("first answered")

    def second_request() -> None:
        second_may_start.wait(5)
        with gate.request():
            events.append("second started")

    threads = [threading.Thread(target=first_request), threading.Thread(target=second_request)]
    for thread in threads:
        thread.start()
    while not events:
        time.sleep(0.01)
    threading.Timer(0.2, answered.set).start()
    with gate.quiet():
        events.append("reading")
        second_may_start.set()
        time.sleep(0.2)
        events.append("released")
    for thread in threads:
        thread.join(5)
    assert events == ["first started", "first answered", "reading", "released", "second started"]
