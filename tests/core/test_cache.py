"""Unit tests of core.cache: key, layers, eviction, sharing between processes, corruption."""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import random
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import diskcache
import pytest

from core.cache import ResponseCache, cache_key

KB = 1000
MB = 1000 * KB


def _value(index: int) -> bytes:
    """A deterministic value; sizes straddle diskcache's 32 KiB inline/file threshold."""
    return hashlib.sha256(str(index).encode()).digest() * (1 + index * 97 % 1500)


def _key(index: int) -> str:
    return cache_key(str(index).encode(), b"params", "models-1")


# --- the key -----------------------------------------------------------------------------------


def test_key_is_stable_and_covers_every_part() -> None:
    key = cache_key(b"image", b"params", "detector:1,calculator:2")
    assert key == cache_key(b"image", b"params", "detector:1,calculator:2")
    assert len(key) == 64 and int(key, 16) >= 0
    assert key != cache_key(b"image2", b"params", "detector:1,calculator:2")
    assert key != cache_key(b"image", b"params2", "detector:1,calculator:2")
    assert key != cache_key(b"image", b"params", "detector:1,calculator:3")


def test_key_parts_cannot_run_into_each_other() -> None:
    assert cache_key(b"ab", b"c", "v") != cache_key(b"a", b"bc", "v")
    assert cache_key(b"", b"cv", "") != cache_key(b"", b"c", "v")


# --- layers, one process -----------------------------------------------------------------------


def test_memory_layer_round_trip() -> None:
    cache = ResponseCache(10 * KB, None, 0, None, 0)
    assert cache.get("k") is None
    cache.put("k", b"response")
    assert cache.get("k") == (b"response", "memory")
    assert cache.stats()["hits_memory"] == 1 and cache.stats()["misses"] == 1


def test_disk_hit_fills_memory(tmp_path: Path) -> None:
    ResponseCache(10 * KB, tmp_path / "local", MB, None, 0).put("k", b"response")
    restarted = ResponseCache(10 * KB, tmp_path / "local", MB, None, 0)
    assert restarted.get("k") == (b"response", "disk")
    assert restarted.get("k") == (b"response", "memory")
    restarted.close()


def test_shared_hit_fills_local_layers(tmp_path: Path) -> None:
    writer = ResponseCache(0, tmp_path / "a", MB, tmp_path / "shared", MB)
    writer.put("k", b"response")
    reader = ResponseCache(10 * KB, tmp_path / "b", MB, tmp_path / "shared", MB)
    assert reader.get("k") == (b"response", "shared")
    assert reader.get("k") == (b"response", "memory")
    assert ResponseCache(0, tmp_path / "b", MB, None, 0).get("k") == (b"response", "disk")


def test_shared_layer_is_written_only_when_it_lacks_the_key(tmp_path: Path) -> None:
    ResponseCache(0, tmp_path / "a", MB, tmp_path / "shared", MB).put("k", b"first")
    ResponseCache(0, tmp_path / "b", MB, tmp_path / "shared", MB).put("k", b"second")
    assert ResponseCache(0, tmp_path / "c", MB, tmp_path / "shared", MB).get("k") == (b"first", "shared")


def test_stats_count_hits_misses_and_bytes(tmp_path: Path) -> None:
    cache = ResponseCache(10 * KB, tmp_path / "local", MB, tmp_path / "shared", MB)
    cache.get("k")
    cache.put("k", b"x" * 1000)
    cache.get("k")
    stats = cache.stats()
    assert stats["misses"] == 1 and stats["hits_memory"] == 1
    assert stats["hits_disk"] == stats["hits_shared"] == 0
    assert stats["bytes_memory"] == 1000
    assert 1000 < stats["bytes_disk"] <= MB and 1000 < stats["bytes_shared"] <= MB


# --- bounds ------------------------------------------------------------------------------------


def test_memory_layer_is_bounded() -> None:
    cache = ResponseCache(10 * KB, None, 0, None, 0)
    for index in range(10):
        cache.put(f"k{index}", bytes(3 * KB))
        assert cache.stats()["bytes_memory"] <= 10 * KB
    assert cache.get("k0") is None
    assert cache.get("k9") is not None
    cache.put("huge", bytes(11 * KB))
    assert cache.get("huge") is None
    assert cache.get("k9") is not None  # a value over the budget does not flush the layer


def test_disk_layer_stays_under_its_limit(tmp_path: Path) -> None:
    cache = ResponseCache(0, tmp_path / "local", MB, None, 0)
    disk = diskcache.Cache(str(tmp_path / "local"))  # a second view, to measure independently
    for index in range(200):
        cache.put(f"k{index}", os.urandom(20 * KB))
        assert disk.volume() <= MB
    assert cache.get("k199") is not None and cache.get("k0") is None
    assert 0.7 * MB < cache.stats()["bytes_disk"] <= MB  # culled down to the limit, not far below
    cache.put("large", os.urandom(500 * KB))  # evicts as many entries as needed, not a fixed batch
    assert disk.volume() <= MB and cache.get("large") is not None
    cache.put("too-big", bytes(2 * MB))
    assert cache.get("too-big") is None and cache.get("k199") is not None


def test_disk_layer_evicts_least_recently_used(tmp_path: Path) -> None:
    cache = ResponseCache(0, tmp_path / "local", MB, None, 0)
    for index in range(30):  # 600 KB: all fit
        cache.put(f"old{index}", os.urandom(20 * KB))
    assert cache.get("old0") is not None  # touched: now more recent than old1..old29
    for index in range(20):
        cache.put(f"new{index}", os.urandom(20 * KB))
    assert cache.get("old0") is not None
    assert cache.get("old1") is None
    assert cache.get("new19") is not None


# --- several processes -------------------------------------------------------------------------


def _put_in_other_process(local_dir: Path, shared_dir: Path) -> None:
    ResponseCache(0, local_dir, MB, shared_dir, MB).put(_key(1), _value(1))


def test_second_process_reads_the_shared_layer(tmp_path: Path) -> None:
    process = multiprocessing.get_context("spawn").Process(
        target=_put_in_other_process, args=(tmp_path / "a", tmp_path / "shared")
    )
    process.start()
    process.join(timeout=30)
    assert process.exitcode == 0
    cache = ResponseCache(0, tmp_path / "b", MB, tmp_path / "shared", MB)
    assert cache.get(_key(1)) == (_value(1), "shared")
    assert cache.get(_key(1)) == (_value(1), "disk")


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _hammer(local_dir: Path, shared_dir: Path, seed: int, start, results) -> None:
    """8 threads putting and getting 64 keys; every hit must carry the key's own value."""
    warnings = _Records()
    logging.getLogger("core.cache").addHandler(warnings)
    cache = ResponseCache(50 * KB, local_dir, MB, shared_dir, 2 * MB)

    def thread(number: int) -> None:
        rng = random.Random(seed * 100 + number)
        for _ in range(150):
            index = rng.randrange(64)
            hit = cache.get(_key(index))
            if hit is None:
                cache.put(_key(index), _value(index))
            elif hit[0] != _value(index):
                raise AssertionError(f"corrupted value for key {index} from layer {hit[1]}")

    start.wait()
    with ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(thread, number) for number in range(8)]:
            future.result()
    results.put((cache.stats(), [record.getMessage() for record in warnings.records]))


def test_threads_and_processes_share_one_directory(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=_hammer, args=(tmp_path / f"local{n}", tmp_path / "shared", n, start, results))
        for n in range(2)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    for stats, warnings in outcomes:
        assert warnings == []
        assert stats["bytes_disk"] <= MB and stats["bytes_shared"] <= 2 * MB
    assert sum(stats["hits_shared"] for stats, _ in outcomes) > 0
    assert sum(stats["hits_disk"] + stats["hits_memory"] for stats, _ in outcomes) > 0


# --- damage ------------------------------------------------------------------------------------


def _garble(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def test_unopenable_local_layer_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    local = tmp_path / "local"
    cache = ResponseCache(0, local, MB, None, 0)
    cache.put("k", b"response")
    cache.close()
    _garble(local / "cache.db")
    cache = ResponseCache(10 * KB, local, MB, tmp_path / "shared", MB)
    assert "cannot be opened" in caplog.text
    assert cache.get("k") is None
    cache.put("k", b"again")  # the other layers still work
    assert cache.get("k") == (b"again", "memory")
    assert ResponseCache(0, None, 0, tmp_path / "shared", MB).get("k") == (b"again", "shared")


def test_database_garbled_while_open_gives_misses_not_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = ResponseCache(0, tmp_path / "local", 100 * KB, None, 0)
    for index in range(20):
        cache.put(_key(index), _value(index))
    _garble(tmp_path / "local" / "cache.db")
    for index in range(40):
        hit = cache.get(_key(index))
        assert hit is None or hit[0] == _value(index)
        cache.put(_key(index), _value(index))
    assert "response cache" in caplog.text and "DatabaseError" in caplog.text


def test_foreign_entry_is_refused_not_unpickled(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with diskcache.Cache(str(tmp_path / "shared")) as foreign:
        foreign["k"] = ["not", "bytes"]  # stored pickled
    cache = ResponseCache(0, None, 0, tmp_path / "shared", MB)
    assert cache.get("k") is None
    assert "not raw bytes" in caplog.text


def test_unreadable_directory_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "file").write_bytes(b"")
    cache = ResponseCache(0, tmp_path / "file" / "local", MB, None, 0)
    assert "cannot be opened" in caplog.text
    cache.put("k", b"response")
    assert cache.get("k") is None


def test_sqlite_errors_in_a_layer_count_as_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ResponseCache(0, tmp_path / "local", MB, None, 0)
    cache.put("k", b"response")

    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(diskcache.Cache, "get", broken)
    monkeypatch.setattr(diskcache.Cache, "set", broken)
    assert cache.get("k") is None
    cache.put("k", b"response")
    assert cache.stats()["misses"] == 1
