"""The in-memory face index of one recognition service (CompreFace's face collection).

Embeddings are L2-normalised float32 vectors, so the inner product is the cosine similarity; the
api turns it into CompreFace's similarity (euclidean distance ``d = sqrt(2 - 2 cos)``).

Layout. Each faiss index is append-only: a face's faiss id is its *position*, the order in which
it was added to the current index. Per position we keep the face id (a list of strings shared
with the face id -> position dict) and the subject as an int32 code into one table of subject
names, so 1M faces cost a few hundred bytes of bookkeeping each on top of the vectors. Removing a
face only tombstones its position; searches skip tombstones with a faiss ``IDSelectorBitmap`` of
live positions, and the index is rebuilt without them once they pass 20 % of it. (HNSW cannot
delete at all; one mechanism for all three kinds keeps the code small.)

Kinds. Up to ``exact_max_faces`` faces the index is exact (``IndexFlatIP``). Above that it is
rebuilt as an approximate index: ``IndexIVFFlat`` (nlist ~ 2 sqrt(N), trained on the data, nprobe
~ 3 sqrt(nlist)) or ``IndexHNSWFlat`` (M 32, efSearch ~ 2 N / 1000). It goes back to exact when it
shrinks below half the threshold (hysteresis), and an IVF index is retrained when it has doubled
since training. An add that will cross a threshold builds the new index with the whole batch, so a
bulk load of a large collection trains and builds once. IVF is the better default: on 2 cores it
loads 1M faces in ~20 s where HNSW takes 6-9 minutes, and searches them in ~8 ms against ~24 ms
for HNSW at the same recall (bench/collections_bench.py).

Threads. Searches take a shared lock, so many run at once (faiss searches release the GIL and
concurrent searches on an index nobody modifies are safe). Writers are serialised by one mutex
and take the lock exclusively only while they change the live index in place, in chunks of
bounded cost, so searches wait at most one chunk. A rebuild reads the live index, which nothing
modifies while the writer mutex is held, builds the new one without blocking searches, and swaps
it in under the exclusive lock; other writers wait for it.
"""

from __future__ import annotations

import ctypes
import math
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

import faiss
import numpy as np

Kind = Literal["exact", "hnsw", "ivf"]
Match = tuple[str, str, float]

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
# efSearch grows with the collection: recall@1 0.997 at 100k faces with 128, 0.998 at 1M with 2048 (0.978 with 1024)
# on bench/collections_bench.py's data.
HNSW_MIN_EF_SEARCH = 128
HNSW_EF_SEARCH_PER_MILLION = 2048
# IVF: nlist = 2 sqrt(N) lists, nprobe = 3 sqrt(nlist) of them (measured with bench/collections_bench.py: 7 % of
# the lists at 1M faces, recall@1 >= 0.99 on its structureless data); k-means on 20 points per list;
# retrained when the collection has doubled since training.
IVF_LISTS_PER_SQRT_FACES = 2
IVF_PROBES_PER_SQRT_LISTS = 3
IVF_TRAINING_POINTS_PER_LIST = 20
IVF_RETRAIN_GROWTH = 2
MAX_DEAD_FRACTION = 0.2
# glibc keeps the memory faiss frees while lists grow (~500 bytes a face after a 1M IVF build); this hands it back.
MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None) if sys.platform == "linux" else None
# Rows added per exclusive-lock hold: searches never wait longer than one such chunk.
ADD_CHUNK_ROWS: dict[str, int] = {"exact": 65_536, "ivf": 8_192, "hnsw": 256}


class ReadWriteLock:
    """Many readers or one writer; a waiting writer holds off new readers so writes cannot starve."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                if not self._readers:
                    self._condition.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._condition:
            self._writers_waiting += 1
            self._condition.wait_for(lambda: not self._writing and not self._readers)
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()


def ivf_lists(faces: int) -> int:
    """nlist for an IVF index trained on this many faces, with enough training points per list."""
    return max(1, min(round(IVF_LISTS_PER_SQRT_FACES * math.sqrt(faces)), faces // IVF_TRAINING_POINTS_PER_LIST))


def ivf_probes(lists: int) -> int:
    """nprobe for an IVF index of this many lists."""
    return min(lists, math.ceil(IVF_PROBES_PER_SQRT_LISTS * math.sqrt(lists)))


def hnsw_ef_search(faces: int) -> int:
    """efSearch for an HNSW index of this many faces."""
    return max(HNSW_MIN_EF_SEARCH, math.ceil(HNSW_EF_SEARCH_PER_MILLION * faces / 1_000_000))


def build_index(kind: Kind, vectors: np.ndarray) -> faiss.Index:
    """A faiss index of this kind holding ``vectors`` at positions 0..n-1."""
    dimension = vectors.shape[1]
    if kind == "exact":
        index = faiss.IndexFlatIP(dimension)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    else:
        lists = ivf_lists(len(vectors))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, lists, faiss.METRIC_INNER_PRODUCT)
        index.cp.min_points_per_centroid = IVF_TRAINING_POINTS_PER_LIST
        sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), lists * IVF_TRAINING_POINTS_PER_LIST),
                                                 replace=False)
        index.train(vectors[np.sort(sample)])
        index.nprobe = ivf_probes(lists)
    index.add(vectors)
    return index


def stored_vectors(index: faiss.Index) -> np.ndarray:
    """The vectors of ``index`` by position: a view for flat and HNSW storage, a copy for IVF."""
    count, dimension = index.ntotal, index.d
    if isinstance(index, faiss.IndexIVFFlat):
        vectors = np.empty((count, dimension), np.float32)
        lists = index.invlists
        for number in range(index.nlist):
            size = lists.list_size(number)
            if size:
                positions = faiss.rev_swig_ptr(lists.get_ids(number), size)
                codes = faiss.rev_swig_ptr(lists.get_codes(number), size * index.code_size)
                vectors[positions] = codes.view(np.float32).reshape(size, dimension)
        return vectors
    flat = faiss.downcast_index(index.storage) if isinstance(index, faiss.IndexHNSWFlat) else index
    return faiss.rev_swig_ptr(flat.get_xb(), count * dimension).reshape(count, dimension)


def stacked(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The rows of both arrays, copied only when both have some."""
    if len(first) and len(second):
        return np.concatenate([first, second])
    return first if len(first) else second


def index_bytes(index: faiss.Index) -> int:
    """Bytes held by a faiss index: vectors, ids, graph links, centroids."""
    vector_bytes = index.ntotal * index.d * 4
    if isinstance(index, faiss.IndexHNSWFlat):
        graph = index.hnsw
        return vector_bytes + graph.neighbors.size() * 4 + graph.offsets.size() * 8 + graph.levels.size() * 4
    if isinstance(index, faiss.IndexIVFFlat):
        return vector_bytes + index.ntotal * 8 + index.nlist * (index.d * 4 + 2 * 24)
    return vector_bytes


class Generation:
    """One faiss index and what is known of each of its positions; replaced whole by a rebuild."""

    def __init__(self, kind: Kind, index: faiss.Index, face_ids: list[str], subject_codes: np.ndarray) -> None:
        self.kind = kind
        self.index = index
        self.trained_for = index.ntotal
        self.face_at: list[str | None] = list(face_ids)
        self.subject_at = subject_codes.astype(np.int32)
        self.position_of = {face_id: position for position, face_id in enumerate(face_ids)}
        self.dead = 0
        self.selector: faiss.IDSelectorBitmap | None = None

    @property
    def live(self) -> int:
        return len(self.position_of)

    def append(self, face_ids: Sequence[str], subject_codes: np.ndarray, vectors: np.ndarray) -> None:
        """Adds faces at new positions; the caller has tombstoned earlier faces with the same ids."""
        start = self.index.ntotal
        self.index.add(vectors)
        self.face_at.extend(face_ids)
        self.position_of.update(zip(face_ids, range(start, start + len(face_ids))))
        if start + len(face_ids) > len(self.subject_at):
            grown = np.full(max(2 * len(self.subject_at), start + len(face_ids)), -1, np.int32)
            grown[:start] = self.subject_at[:start]
            self.subject_at = grown
        self.subject_at[start:start + len(face_ids)] = subject_codes
        self._refresh_selector()

    def tombstone(self, positions: Sequence[int] | np.ndarray) -> None:
        """Hides faces from searches; their vectors stay in the index until the next rebuild."""
        for position in positions:
            del self.position_of[self.face_at[position]]
            self.face_at[position] = None
        self.subject_at[np.asarray(positions, np.int64)] = -1
        self.dead += len(positions)
        self._refresh_selector()

    def _refresh_selector(self) -> None:
        """A selector of the live positions, or None while there are no tombstones."""
        self.selector = None
        if self.dead:
            alive = self.subject_at[:self.index.ntotal] >= 0
            self.selector = faiss.IDSelectorBitmap(np.packbits(alive, bitorder="little"))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """faiss's (similarities, positions) of the k best live faces per query, -1 where fewer."""
        if k >= self.live:
            return self._search_all(queries, k)
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(hnsw_ef_search(self.index.ntotal), k), sel=self.selector)
        elif self.kind == "ivf":
            params = faiss.SearchParametersIVF(nprobe=self.index.nprobe, sel=self.selector)
        else:
            params = faiss.SearchParameters(sel=self.selector)
        return self.index.search(queries, k, params=params)

    def _search_all(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exhaustive search, for requests that want every face."""
        if self.kind == "ivf":
            return self.index.search(queries, k, params=faiss.SearchParametersIVF(nprobe=self.index.nlist,
                                                                                   sel=self.selector))
        flat = faiss.downcast_index(self.index.storage) if self.kind == "hnsw" else self.index
        return flat.search(queries, k, params=faiss.SearchParameters(sel=self.selector))

    def memory_bytes(self) -> int:
        """Bytes of the faiss index and of the per-position bookkeeping (dict, list, ids, positions, codes)."""
        return (index_bytes(self.index) + self.subject_at.nbytes + sys.getsizeof(self.face_at)
                + sys.getsizeof(self.position_of) + sum(map(sys.getsizeof, self.position_of))
                + sum(map(sys.getsizeof, self.position_of.values())))


def empty_generation(dimension: int) -> Generation:
    return Generation("exact", faiss.IndexFlatIP(dimension), [], np.empty(0, np.int32))


class FaceIndex:
    """Faces of one service, searchable by cosine similarity; safe to use from many threads."""

    def __init__(self, dimension: int, exact_max_faces: int, approximate_kind: Literal["hnsw", "ivf"]) -> None:
        self.dimension = dimension
        self.exact_max_faces = exact_max_faces
        self.approximate_kind: Kind = approximate_kind
        self._lock = ReadWriteLock()
        self._writer = threading.Lock()
        self._generation = empty_generation(dimension)
        self._subject_names: list[str] = []
        self._subject_codes: dict[str, int] = {}
        self._free_codes: list[int] = []  # of removed or merged subjects: no face carries them

    def __len__(self) -> int:
        return self._generation.live

    @property
    def kind(self) -> Kind:
        return self._generation.kind

    @property
    def parameters(self) -> dict[str, int]:
        """The tuning of the current index: nlist/nprobe for IVF, M/efSearch for HNSW."""
        index = self._generation.index
        if isinstance(index, faiss.IndexIVFFlat):
            return {"nlist": index.nlist, "nprobe": index.nprobe}
        if isinstance(index, faiss.IndexHNSWFlat):
            return {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": hnsw_ef_search(index.ntotal)}
        return {}

    @property
    def memory_bytes(self) -> int:
        """Bytes held: vectors, graph or lists, face ids, subject codes and names."""
        with self._lock.read():
            names = self._subject_names
            return (self._generation.memory_bytes() + sys.getsizeof(names) + sum(map(sys.getsizeof, names))
                    + sys.getsizeof(self._subject_codes) + sum(map(sys.getsizeof, self._subject_codes)))

    @property
    def bytes_per_face(self) -> float:
        return self.memory_bytes / max(1, len(self))

    def add(self, face_ids: Sequence[str], subjects: Sequence[str], embeddings: np.ndarray) -> None:
        """Adds faces, or updates those whose id is already indexed; the last of repeated ids wins."""
        vectors = np.ascontiguousarray(embeddings, dtype=np.float32).reshape(-1, self.dimension)
        if not len(face_ids) == len(subjects) == len(vectors):
            raise ValueError(f"{len(face_ids)} face ids, {len(subjects)} subjects, {len(vectors)} embeddings")
        last = dict(zip(face_ids, range(len(face_ids))))
        if len(last) < len(face_ids):
            keep = sorted(last.values())
            face_ids, subjects, vectors = list(last), [subjects[i] for i in keep], vectors[keep]
        with self._writer:
            with self._lock.write():
                codes = np.fromiter(map(self._subject_code, subjects), np.int32, len(subjects))
            generation = self._generation
            if self._target_kind(generation.live + len(face_ids)) != generation.kind or self._ivf_outgrown(
                    generation.live + len(face_ids)):
                self._rebuild(list(face_ids), codes, vectors)
                return
            rows = ADD_CHUNK_ROWS[generation.kind]
            for start in range(0, len(face_ids), rows):
                chunk = list(face_ids[start:start + rows])
                with self._lock.write():
                    replaced = [generation.position_of[f] for f in chunk if f in generation.position_of]
                    if replaced:
                        generation.tombstone(replaced)
                    generation.append(chunk, codes[start:start + rows], vectors[start:start + rows])
            self._rebuild_if_needed()

    def remove(self, face_ids: Iterable[str]) -> int:
        """Removes faces by id; returns how many were indexed."""
        with self._writer:
            return self._remove_positions(lambda generation: [
                generation.position_of[face_id] for face_id in face_ids if face_id in generation.position_of])

    def remove_subject(self, name: str) -> int:
        """Removes a subject (matched case-insensitively) and its faces; returns how many faces."""
        with self._writer:
            code = self._subject_codes.get(name.casefold())
            if code is None:
                return 0
            removed = self._remove_positions(lambda generation: np.flatnonzero(generation.subject_at == code))
            with self._lock.write():
                del self._subject_codes[name.casefold()]
                self._free_code(code)
            return removed

    def rename_subject(self, old: str, new: str) -> None:
        """Renames subject ``old`` (matched case-insensitively); into ``new`` if that exists (a merge)."""
        with self._writer, self._lock.write():
            code = self._subject_codes.pop(old.casefold(), None)
            if code is None:
                return
            target = self._subject_codes.get(new.casefold())
            if target is None:
                self._subject_names[code] = new
                self._subject_codes[new.casefold()] = code
            else:
                subject_at = self._generation.subject_at
                subject_at[subject_at == code] = target
                self._free_code(code)

    def clear(self) -> None:
        """Removes every face and subject."""
        with self._writer, self._lock.write():
            self._generation = empty_generation(self.dimension)
            self._subject_names, self._subject_codes, self._free_codes = [], {}, []

    def search(self, queries: np.ndarray, k: int) -> list[list[Match]]:
        """Per query, up to k (face id, subject, cosine) best first; k = -1 or beyond the size: all faces."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dimension)
        with self._lock.read():
            generation = self._generation
            count = generation.live if k < 0 else min(k, generation.live)
            if not count:
                return [[] for _ in queries]
            similarities, positions = generation.search(queries, count)
            face_at, subject_at, names = generation.face_at, generation.subject_at, self._subject_names
            return [[(face_at[p], names[subject_at[p]], float(s)) for s, p in zip(row_s, row_p.tolist()) if p >= 0]
                    for row_s, row_p in zip(similarities, positions)]

    def _subject_code(self, name: str) -> int:
        """The code of a subject, matched case-insensitively; a new subject gets a free code."""
        code = self._subject_codes.get(name.casefold())
        if code is None:
            if self._free_codes:
                code = self._free_codes.pop()
                self._subject_names[code] = name
            else:
                code = len(self._subject_names)
                self._subject_names.append(name)
            self._subject_codes[name.casefold()] = code
        return code

    def _free_code(self, code: int) -> None:
        self._subject_names[code] = ""
        self._free_codes.append(code)

    def _target_kind(self, live: int) -> Kind:
        """Exact up to the threshold; approximate above it, until it falls below half the threshold."""
        approximate = live > self.exact_max_faces or (
            self._generation.kind != "exact" and live > self.exact_max_faces // 2)
        return self.approximate_kind if approximate else "exact"

    def _ivf_outgrown(self, live: int) -> bool:
        generation = self._generation
        return generation.kind == "ivf" and live > IVF_RETRAIN_GROWTH * generation.trained_for

    def _remove_positions(self, find: Callable[[Generation], Sequence[int] | np.ndarray]) -> int:
        """Tombstones the positions ``find`` names in the live generation; the writer mutex is held."""
        generation = self._generation
        with self._lock.write():
            positions = find(generation)
            if len(positions):
                generation.tombstone(positions)
        self._rebuild_if_needed()
        return len(positions)

    def _rebuild_if_needed(self) -> None:
        generation = self._generation
        if (self._target_kind(generation.live) != generation.kind
                or generation.dead > MAX_DEAD_FRACTION * generation.index.ntotal):
            self._rebuild([], np.empty(0, np.int32), np.empty((0, self.dimension), np.float32))

    def _rebuild(self, face_ids: list[str], codes: np.ndarray, vectors: np.ndarray) -> None:
        """Builds a new index from the live faces plus a batch to add, then swaps it in.

        The writer mutex is held, so nothing modifies the current index: searches go on using it
        while the new one is built.
        """
        old = self._generation
        adding = set(face_ids)
        keep = [position for face_id, position in old.position_of.items() if face_id not in adding]
        keep.sort()
        all_vectors = stacked(stored_vectors(old.index)[keep], vectors)
        kind = self._target_kind(len(all_vectors))
        generation = Generation(kind, build_index(kind, all_vectors), [old.face_at[p] for p in keep] + face_ids,
                                np.concatenate([old.subject_at[keep], codes]))
        del all_vectors
        with self._lock.write():
            self._generation = generation
        del old
        if MALLOC_TRIM is not None:
            MALLOC_TRIM(0)
