"""Batch-dynamic recognizers and the embedding batcher's waiting rules, in process."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from core.batching import EmbeddingBatcher, Overloaded
from core.model_pack import load_pack
from core.recognizer import Recognizer
from core.runtime import RuntimeOptions, SessionFactory, with_dynamic_batch
from tests.support.paths import MODELS_DIR

SESSIONS = SessionFactory(RuntimeOptions(threads=2, use_gpu=False))


@pytest.mark.parametrize("pack", ["open", "default"])
def test_recognizers_run_in_batches_with_the_same_rows(pack: str) -> None:
    spec = load_pack(pack).recognizer
    recognizer = Recognizer(spec, MODELS_DIR / spec.file, SESSIONS)
    assert recognizer.batchable
    crops = np.random.default_rng(1).integers(0, 256, (5, 112, 112, 3), dtype=np.uint8)
    together = recognizer.embed(crops)
    alone = np.concatenate([recognizer.embed(crops[i:i + 1]) for i in range(5)])
    assert together.shape == (5, spec.embedding_size)
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_fixed_batch_graph_is_rewritten_and_dynamic_one_is_left_alone() -> None:
    assert with_dynamic_batch(MODELS_DIR / "foamliu_mobilefacenet/MobileFaceNet.onnx") is not None
    assert with_dynamic_batch(MODELS_DIR / "sirius_mobilefacenet_tf/MobileFaceNet_TF_dynbatch.onnx") is None


def _double(crops: np.ndarray) -> np.ndarray:
    return crops.reshape(len(crops), -1)[:, :2].astype(np.float32) * 2


def _crops(count: int, value: int) -> np.ndarray:
    return np.full((count, 4, 4, 3), value, dtype=np.uint8)


def test_a_lone_request_does_not_wait() -> None:
    batcher = EmbeddingBatcher(_double, max_batch=8, max_wait_s=2.0, max_queued_bytes=1 << 20)
    try:
        started = time.monotonic()
        with batcher.request():
            embeddings, batch = batcher.embed(_crops(3, 5))
        assert time.monotonic() - started < 0.5
        assert batch == 3 and np.all(embeddings == 10)
    finally:
        batcher.stop()


def test_requests_in_flight_are_waited_for_and_batched_together() -> None:
    batcher = EmbeddingBatcher(_double, max_batch=8, max_wait_s=2.0, max_queued_bytes=1 << 20)
    results: dict[str, tuple[np.ndarray, int]] = {}
    second_in_flight = threading.Event()

    def second() -> None:
        with batcher.request():
            second_in_flight.set()
            time.sleep(0.2)  # still detecting when the first hands in its crops
            results["second"] = batcher.embed(_crops(2, 7))

    thread = threading.Thread(target=second)
    try:
        thread.start()
        second_in_flight.wait()
        with batcher.request():
            results["first"] = batcher.embed(_crops(1, 3))
        thread.join()
    finally:
        batcher.stop()
    assert results["first"][1] == results["second"][1] == 3
    assert np.all(results["first"][0] == 6) and np.all(results["second"][0] == 14)


def test_large_requests_are_split_into_batches_of_at_most_max_batch() -> None:
    batcher = EmbeddingBatcher(_double, max_batch=4, max_wait_s=0.0, max_queued_bytes=1 << 20)
    try:
        embeddings, batch = batcher.embed(np.arange(10, dtype=np.uint8)[:, None, None, None].repeat(3, axis=3))
    finally:
        batcher.stop()
    assert batch == 4 and embeddings.shape == (10, 2)
    assert list(embeddings[:, 0]) == [2 * i for i in range(10)]


def test_queue_over_the_memory_budget_is_refused() -> None:
    release = threading.Event()

    def slow(crops: np.ndarray) -> np.ndarray:
        release.wait(5)
        return _double(crops)

    batcher = EmbeddingBatcher(slow, max_batch=1, max_wait_s=0.0, max_queued_bytes=60)
    worker = threading.Thread(target=batcher.embed, args=(_crops(1, 1),))
    queued = threading.Thread(target=batcher.embed, args=(_crops(1, 1),))
    try:
        worker.start()
        time.sleep(0.1)  # the worker is now busy with the first crop
        queued.start()
        time.sleep(0.1)
        with pytest.raises(Overloaded):
            batcher.embed(_crops(1, 1))
    finally:
        release.set()
        worker.join()
        queued.join()
        batcher.stop()
