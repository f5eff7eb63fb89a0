"""The embedding server's response cache: serialized responses (protobuf bytes) by request key.

Three layers, each optional, looked up in order; a hit fills the layers above it:

- ``memory``: a small LRU of recent responses in this process (``cachetools.LRUCache``), bounded
  by the byte budget the server gives it (its share of ``MEMORY_IN_MEGABYTES``; value bytes are
  counted, keys are not). A value bigger than the budget skips this layer.
- ``disk``: this server's local cache (``ENABLE_RESPONSE_CACHING``), a ``diskcache.Cache`` that
  evicts the least recently used entries.
- ``shared``: the second layer (``ENABLE_SECOND_LAYER_RESPONSE_CACHE``), a ``diskcache.Cache`` in
  a directory that many core server processes read and write at once; SQLite's locking makes that
  safe. It is read on a local miss and written only when it does not hold the key yet (an atomic
  ``add``). It evicts the least recently *stored* entries, so that reads stay read-only
  transactions and many readers do not contend for the write lock; hot entries live on in the
  local layers anyway. SQLite does not lock reliably over network file systems (NFS and the
  like), so the shared directory must be on a local file system that the processes share (one
  host, or a volume mounted into several containers of one host).

Size limit of a disk layer: after each ``put`` the layer's ``volume()`` — diskcache's estimate:
the SQLite database pages (values under 32 KiB are stored inline) plus the files of larger
values — is at most its limit, as long as the limit exceeds the empty database (some tens of
KiB); concurrent writers may overshoot it until their own puts return. The SQLite write-ahead log
(checkpointed by SQLite at about 4 MB) is not counted. Values bigger than the limit are not
stored in that layer.

Failures never fail a request: an unreadable or corrupt entry or database, or a lock not obtained
within ``SQLITE_TIMEOUT_S``, is logged as a warning and counts as a miss (or a skipped write). A
disk layer that cannot be opened at all (directory not creatable, database not SQLite) is logged
as an error and the cache runs without that layer; its files are left alone for an operator.
Only raw bytes are ever stored, so an entry of any other kind (a pickle, which only a foreign
writer to the shared directory could have put there) is refused rather than unpickled.
"""

from __future__ import annotations

import collections
import hashlib
import logging
import sqlite3
import threading
from pathlib import Path

import cachetools
import diskcache
from diskcache.core import MODE_BINARY, MODE_RAW

from core.metrics import CACHE_LOOKUPS

log = logging.getLogger(__name__)

LAYERS = ("memory", "disk", "shared")
SQLITE_TIMEOUT_S = 2.0  # waiting longer for a lock costs more than recomputing: give up, count a miss
_ERRORS = (sqlite3.Error, OSError, ValueError, diskcache.Timeout)


def cache_key(image: bytes, parameters: bytes, model_versions: str) -> str:
    """sha256 hex over the image, the serialized parameters and the model versions.

    Each part is prefixed with its length, so that no two different triples hash the same input.
    """
    digest = hashlib.sha256()
    for part in (image, parameters, model_versions.encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class _BytesDisk(diskcache.Disk):
    """diskcache's storage, restricted to reading back raw bytes (never unpickling)."""

    def fetch(self, mode: int, filename: str | None, value: object, read: bool) -> bytes:
        if mode not in (MODE_RAW, MODE_BINARY) or (mode == MODE_RAW and not isinstance(value, bytes)):
            raise ValueError(f"entry is not raw bytes (mode {mode})")
        return super().fetch(mode, filename, value, read)


class _MemoryLayer:
    name = "memory"

    def __init__(self, max_bytes: int) -> None:
        self._lru: cachetools.LRUCache[str, bytes] = cachetools.LRUCache(maxsize=max_bytes, getsizeof=len)
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._lru.get(key)

    def put(self, key: str, value: bytes) -> None:
        if len(value) <= self._lru.maxsize:
            with self._lock:
                self._lru[key] = value

    def volume(self) -> int:
        with self._lock:
            return int(self._lru.currsize)

    def close(self) -> None:
        with self._lock:
            self._lru.clear()


class _DiskLayer:
    """One diskcache.Cache; a Cache object is thread-safe (one SQLite connection per thread)."""

    def __init__(self, directory: Path, limit_bytes: int, shared: bool) -> None:
        self.name = "shared" if shared else "disk"
        self._limit = limit_bytes
        self._write_once = shared
        self._cache = diskcache.Cache(
            str(directory),
            timeout=SQLITE_TIMEOUT_S,
            disk=_BytesDisk,
            size_limit=limit_bytes,
            eviction_policy="least-recently-stored" if shared else "least-recently-used",
            cull_limit=0,  # no partial culling inside set(); put() culls down to the limit itself
        )

    def get(self, key: str) -> bytes | None:
        try:
            return self._cache.get(key)
        except _ERRORS as error:
            self._warn("read", error)
            return None

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self._limit:
            return
        try:
            if self._write_once:
                self._cache.add(key, value)
            else:
                self._cache.set(key, value)
            if self._cache.volume() > self._limit:
                self._cache.cull()
        except _ERRORS as error:
            self._warn("write", error)

    def volume(self) -> int:
        try:
            return int(self._cache.volume())
        except _ERRORS as error:
            self._warn("size query", error)
            return 0

    def close(self) -> None:
        self._cache.close()

    def _warn(self, action: str, error: Exception) -> None:
        log.warning("%s response cache at %s: %s failed: %r", self.name, self._cache.directory, action, error)


def _open_disk_layer(directory: Path | None, limit_bytes: int, shared: bool) -> _DiskLayer | None:
    if directory is None:
        return None
    try:
        return _DiskLayer(directory, limit_bytes, shared)
    except _ERRORS as error:
        name = "shared" if shared else "disk"
        log.error("%s response cache at %s cannot be opened, running without it: %r", name, directory, error)
        return None


class ResponseCache:
    """Memory, local disk and shared layers; safe to use from many threads at once."""

    def __init__(
        self,
        memory_bytes: int,
        local_dir: Path | None,
        local_limit_bytes: int,
        shared_dir: Path | None,
        shared_limit_bytes: int,
    ) -> None:
        """``memory_bytes`` 0 = no memory layer; ``local_dir`` / ``shared_dir`` None = no such layer."""
        layers: list[_MemoryLayer | _DiskLayer | None] = [
            _MemoryLayer(memory_bytes) if memory_bytes > 0 else None,
            _open_disk_layer(local_dir, local_limit_bytes, shared=False),
            _open_disk_layer(shared_dir, shared_limit_bytes, shared=True),
        ]
        self._layers = [layer for layer in layers if layer is not None]
        self._counts: collections.Counter[str] = collections.Counter()
        self._counts_lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, str] | None:
        """(value, layer) with layer one of "memory", "disk", "shared"; None on a miss.

        A hit fills the layers above the one that answered (a shared hit the disk and memory
        layers, a disk hit the memory layer).
        """
        for index, layer in enumerate(self._layers):
            value = layer.get(key)
            CACHE_LOOKUPS.labels(layer.name, "miss" if value is None else "hit").inc()
            if value is not None:
                for upper in self._layers[:index]:
                    upper.put(key, value)
                self._count(f"hits_{layer.name}")
                return value, layer.name
        self._count("misses")
        return None

    def put(self, key: str, value: bytes) -> None:
        """Store in the memory and disk layers; in the shared layer only if it lacks the key."""
        for layer in self._layers:
            layer.put(key, value)

    def stats(self) -> dict[str, int]:
        """``hits_<layer>`` and ``bytes_<layer>`` for memory, disk and shared, and ``misses``."""
        with self._counts_lock:
            result = {f"hits_{name}": self._counts[f"hits_{name}"] for name in LAYERS}
            result["misses"] = self._counts["misses"]
        volumes = {layer.name: layer.volume() for layer in self._layers}
        result.update({f"bytes_{name}": volumes.get(name, 0) for name in LAYERS})
        return result

    def close(self) -> None:
        """Drop the memory layer and close this thread's database connections.

        Connections other threads opened close when those threads end.
        """
        for layer in self._layers:
            layer.close()

    def _count(self, name: str) -> None:
        with self._counts_lock:
            self._counts[name] += 1
