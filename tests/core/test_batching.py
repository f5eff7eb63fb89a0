"""Dynamic batching gives the same embeddings as one-by-one, and really batches concurrent faces."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR

IMAGES = [path.read_bytes() for path in sorted((DATA_DIR / "lfw-dev" / "images").glob("A*/*_0001.jpg"))[:16]]


def _embeddings(core: CoreProcess, image: bytes) -> tuple[np.ndarray, int]:
    response = core.process_image(image, face_plugins=["calculator"])
    return np.array([face.embedding for face in response.faces]), response.embedding_batch_size


def test_concurrent_requests_share_batches_and_match_one_by_one(core: CoreProcess) -> None:
    alone = [_embeddings(core, image) for image in IMAGES]
    assert all(batch == len(embeddings) for embeddings, batch in alone)
    with ThreadPoolExecutor(len(IMAGES)) as pool:
        together = list(pool.map(lambda image: _embeddings(core, image), IMAGES))
    for (expected, _), (actual, _) in zip(alone, together):
        np.testing.assert_allclose(actual, expected, atol=1e-4)
    largest_batch = max(batch for _, batch in together)
    print(f"\nlargest embedding batch with {len(IMAGES)} concurrent requests: {largest_batch}")
    assert largest_batch > 1


def test_group_photo_faces_are_embedded_in_one_batch(core: CoreProcess) -> None:
    embeddings, batch = _embeddings(core, (DATA_DIR / "group-photos" / "insightface_t1.jpg").read_bytes())
    assert len(embeddings) == 6 and batch == 6
    similarity = embeddings @ embeddings.T
    assert np.all(similarity[~np.eye(6, dtype=bool)] < 0.5), "six different people must not look alike"
