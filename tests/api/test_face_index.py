"""The in-memory face index (api/face_index.py) on synthetic normalised embeddings."""

from __future__ import annotations

import threading
import uuid

import numpy as np
import pytest

from api.face_index import FaceIndex

DIMENSION = 128
THRESHOLD = 2_000


def unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def random_faces(count: int, seed: int = 0) -> np.ndarray:
    return unit(np.random.default_rng(seed).standard_normal((count, DIMENSION)))


def noisy(vectors: np.ndarray, noise: float, seed: int) -> np.ndarray:
    """Unit vectors at cosine ~1/sqrt(1 + noise^2) from ``vectors``."""
    rng = np.random.default_rng(seed)
    return unit(vectors + rng.standard_normal(vectors.shape) * noise / np.sqrt(DIMENSION))


def clustered(count: int, seed: int = 0) -> tuple[list[str], list[str], np.ndarray]:
    """Face ids, subjects and embeddings: identities with 3 to 5 noisy examples each."""
    rng = np.random.default_rng(seed)
    identity = np.repeat(np.arange(count), rng.integers(3, 6, count))[:count]
    centres = random_faces(count, seed + 1)
    return new_ids(count), [f"person-{i}" for i in identity], noisy(centres[identity], 0.6, seed + 2)


def new_ids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def exact_best(embeddings: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    similarities = queries @ embeddings.T
    order = np.argsort(-similarities, axis=1)[:, :k]
    return order, np.take_along_axis(similarities, order, axis=1)


@pytest.fixture()
def small() -> tuple[FaceIndex, list[str], list[str], np.ndarray]:
    face_ids, subjects, embeddings = new_ids(300), [f"s{i % 30}" for i in range(300)], random_faces(300)
    index = FaceIndex(DIMENSION, THRESHOLD, "hnsw")
    index.add(face_ids, subjects, embeddings)
    return index, face_ids, subjects, embeddings


def test_exact_search_matches_numpy(small) -> None:
    index, face_ids, subjects, embeddings = small
    queries = random_faces(10, seed=5)
    results = index.search(queries, 5)
    order, similarities = exact_best(embeddings, queries, 5)
    assert index.kind == "exact" and len(index) == 300
    for row, expected, expected_similarities in zip(results, order, similarities):
        assert [face_id for face_id, _, _ in row] == [face_ids[i] for i in expected]
        assert [subject for _, subject, _ in row] == [subjects[i] for i in expected]
        np.testing.assert_allclose([s for _, _, s in row], expected_similarities, atol=1e-5)


def test_k_all_returns_every_face_best_first(small) -> None:
    index, face_ids, _, embeddings = small
    for k in (-1, 1000):
        (row,) = index.search(embeddings[:1], k)
        assert sorted(face_id for face_id, _, _ in row) == sorted(face_ids)
        assert row[0][0] == face_ids[0] and row[0][2] == pytest.approx(1.0, abs=1e-5)
        assert [s for _, _, s in row] == sorted((s for _, _, s in row), reverse=True)
    assert index.search(embeddings[:2], 0) == [[], []]


def test_empty_index_and_bad_input() -> None:
    index = FaceIndex(DIMENSION, THRESHOLD, "ivf")
    assert index.search(random_faces(2), 3) == [[], []] and len(index) == 0
    with pytest.raises(ValueError):
        index.add(new_ids(2), ["a"], random_faces(2))


def test_adding_an_existing_id_updates_it(small) -> None:
    index, face_ids, _, embeddings = small
    moved = random_faces(1, seed=9)
    index.add([face_ids[0]], ["someone-else"], moved)
    assert len(index) == 300
    assert index.search(moved, 1)[0][0][:2] == (face_ids[0], "someone-else")
    assert index.search(embeddings[:1], 1)[0][0][0] != face_ids[0]
    twice = new_ids(1) * 2
    index.add(twice, ["first", "last"], random_faces(2, seed=10))
    assert len(index) == 301 and index.search(random_faces(2, seed=10)[1:], 1)[0][0][:2] == (twice[0], "last")


def test_remove(small) -> None:
    index, face_ids, _, embeddings = small
    assert index.remove([*face_ids[:10], "not-a-face"]) == 10
    assert index.remove(face_ids[:10]) == 0
    assert len(index) == 290
    found = {face_id for row in index.search(embeddings[:10], 20) for face_id, _, _ in row}
    assert not found & set(face_ids[:10])
    assert len(index.search(embeddings[:1], -1)[0]) == 290


def test_rename_and_merge_subjects(small) -> None:
    index, face_ids, subjects, embeddings = small
    index.rename_subject("S1", "Alice")
    assert index.search(embeddings[1:2], 1)[0][0][1] == "Alice"
    index.rename_subject("alice", "ALICE")
    assert index.search(embeddings[1:2], 1)[0][0][1] == "ALICE"
    index.rename_subject("s2", "alice")  # merge into the existing subject, which keeps its name
    merged = [face_id for face_id, subject, _ in index.search(embeddings[:1], -1)[0] if subject == "ALICE"]
    assert sorted(merged) == sorted(f for f, s in zip(face_ids, subjects) if s in ("s1", "s2"))
    index.rename_subject("nobody", "x")
    assert index.remove_subject("Alice") == 20 and len(index) == 280
    assert index.remove_subject("alice") == 0 and index.remove_subject("s2") == 0
    assert not {s for _, s, _ in index.search(embeddings[:1], -1)[0]} & {"ALICE", "s1", "s2"}
    index.add(new_ids(2), ["Bob", "Carol"], random_faces(2, seed=12))  # new subjects reuse freed codes
    assert [index.search(random_faces(2, seed=12)[i:i + 1], 1)[0][0][1] for i in (0, 1)] == ["Bob", "Carol"]
    assert index.search(embeddings[3:4], 1)[0][0][1] == "s3"


def test_clear(small) -> None:
    index, _, _, embeddings = small
    index.clear()
    assert len(index) == 0 and index.search(embeddings[:1], 5) == [[]]
    index.add(new_ids(1), ["s1"], embeddings[:1])
    assert index.search(embeddings[:1], 5)[0][0][1] == "s1"


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_switches_to_approximate_and_back_keeping_recall(kind: str) -> None:
    face_ids, subjects, embeddings = clustered(6_000)
    index = FaceIndex(DIMENSION, THRESHOLD, kind)
    index.add(face_ids[:1_500], subjects[:1_500], embeddings[:1_500])
    assert index.kind == "exact"
    for start in range(1_500, 6_000, 1_500):
        index.add(face_ids[start:start + 1_500], subjects[start:start + 1_500], embeddings[start:start + 1_500])
    assert index.kind == kind and len(index) == 6_000

    queries = noisy(embeddings[np.random.default_rng(3).integers(0, 6_000, 400)], 0.6, seed=4)
    expected = [face_ids[i] for i in exact_best(embeddings, queries, 1)[0][:, 0]]
    found = [row[0][0] for row in index.search(queries, 1)]
    assert np.mean([a == b for a, b in zip(found, expected)]) >= 0.99
    assert sorted(face_id for face_id, _, _ in index.search(queries[:1], -1)[0]) == sorted(face_ids)

    index.remove(face_ids[:4_500])
    assert index.kind == kind and len(index) == 1_500  # hysteresis: back to exact below half the threshold
    index.remove(face_ids[4_500:5_200])
    assert index.kind == "exact" and len(index) == 800
    assert index.search(embeddings[5_200:5_201], 1)[0][0][0] == face_ids[5_200]


def test_ivf_is_retrained_as_it_grows() -> None:
    face_ids, subjects, embeddings = clustered(12_000)
    index = FaceIndex(DIMENSION, THRESHOLD, "ivf")
    index.add(face_ids[:3_000], subjects[:3_000], embeddings[:3_000])
    lists = index.parameters["nlist"]
    index.add(face_ids[3_000:], subjects[3_000:], embeddings[3_000:])
    assert index.parameters["nlist"] > lists


def test_hnsw_deletions_are_never_returned() -> None:
    face_ids, subjects, embeddings = clustered(5_000)
    index = FaceIndex(DIMENSION, THRESHOLD, "hnsw")
    index.add(face_ids, subjects, embeddings)
    rng = np.random.default_rng(7)
    for fraction in (0.1, 0.3):  # tombstones only, then past the 20 % that forces a rebuild
        gone = set(rng.choice(face_ids, int(fraction * len(face_ids)), replace=False))
        index.remove(gone)
        removed = np.array([face_id in gone for face_id in face_ids])
        found = {face_id for row in index.search(embeddings[removed], 10) for face_id, _, _ in row}
        assert found and not found & gone
        face_ids, embeddings = [f for f, r in zip(face_ids, removed) if not r], embeddings[~removed]
        assert len(index) == len(face_ids) and index.kind == "hnsw"
        assert not {face_id for face_id, _, _ in index.search(embeddings[:1], -1)[0]} ^ set(face_ids)


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_concurrent_searches_and_writes(kind: str) -> None:
    """Searchers always find the stable faces while a writer churns others across the threshold."""
    stable_ids, stable_subjects, stable = new_ids(200), [f"stable-{i}" for i in range(200)], random_faces(200)
    churn_ids, churn_subjects, churn = clustered(3_000, seed=11)
    subject_of = dict(zip(stable_ids + churn_ids, stable_subjects + churn_subjects))
    index = FaceIndex(DIMENSION, 1_000, kind)
    index.add(stable_ids, stable_subjects, stable)
    errors: list[BaseException] = []
    hits: list[bool] = []
    done = threading.Event()

    def search() -> None:
        try:
            rng = np.random.default_rng(threading.get_ident() % 2**32)
            while not done.is_set():
                picks = rng.integers(0, 200, 4)
                for pick, row in zip(picks, index.search(stable[picks], 5)):
                    assert all(subject_of[face_id] == subject for face_id, subject, _ in row)
                    assert [s for _, _, s in row] == sorted((s for _, _, s in row), reverse=True)
                    hits.append(row[0][0] == stable_ids[pick])
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    searchers = [threading.Thread(target=search) for _ in range(4)]
    for thread in searchers:
        thread.start()
    try:
        for round_ in range(2):
            for start in range(0, 3_000, 250):
                index.add(churn_ids[start:start + 250], churn_subjects[start:start + 250], churn[start:start + 250])
            assert index.kind == kind
            index.remove(churn_ids[1_000 * round_:])
            index.rename_subject("person-0", "person-0")
    finally:
        done.set()
        for thread in searchers:
            thread.join()
    assert not errors, errors[0]
    assert len(hits) > 100 and np.mean(hits) >= 0.99
    assert len(index) == 200 + 1_000


@pytest.mark.parametrize(("kind", "count"), [("exact", 1_000), ("hnsw", 3_000), ("ivf", 3_000)])
def test_bytes_per_face_is_plausible(kind: str, count: int) -> None:
    index = FaceIndex(512, THRESHOLD, "ivf" if kind == "exact" else kind)
    index.add(new_ids(count), [f"s{i % 100}" for i in range(count)],
              unit(np.random.default_rng(0).standard_normal((count, 512))))
    assert index.kind == kind
    vectors = 512 * 4
    assert vectors + 100 < index.bytes_per_face < vectors + (1_000 if kind == "hnsw" else 500)
    assert index.memory_bytes == pytest.approx(index.bytes_per_face * count)
