"""The inference backend: which one runs where, OpenVINO's compiled-model cache, the same faces and
embeddings on every backend, and a clear refusal at start when the settings name one that cannot run."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
import subprocess
import sys

import numpy as np
import pytest

from core.detectors import build_detector
from core.cpu_features import has_native_bf16
from core.images import decode_image
from core.model_pack import load_pack
from core.recognizer import Recognizer
from core.runtime import BackendUnavailable, Configuration, RuntimeOptions, SessionFactory, choose_configuration
from runner.platform import free_port
from tests.support.paths import DATA_DIR, MODELS_DIR, PROJECT_ROOT, LFW_IMAGES

ZEN4 = frozenset({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"})
SAPPHIRE_RAPIDS = frozenset({"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"})
ICE_LAKE = frozenset({"avx2", "avx512f", "avx512_vnni"})
SKYLAKE = frozenset({"avx2", "avx512f"})
HASWELL = frozenset({"avx2"})
PACK = load_pack("default")
GROUP = DATA_DIR / "group-photos" / "insightface_t1.jpg"


def _choose(flags: frozenset[str], backend: str = "auto", precision: str = "auto", openvino: bool = True,
            cuda: bool = False, int8_calibrated: bool = True, **options):
    options = RuntimeOptions(threads=1, use_gpu=True, backend=backend, precision=precision,
                             int8_calibrated=int8_calibrated, **options)
    return choose_configuration(options, flags, openvino=openvino, cuda=cuda)


@pytest.mark.parametrize("flags", [ZEN4, SAPPHIRE_RAPIDS])
def test_auto_picks_a_bf16_detector_and_an_int8_recognizer_where_the_cpu_has_both(flags) -> None:
    chosen = _choose(flags)
    assert (chosen.backend, chosen.device) == ("openvino", "CPU")
    assert chosen.precisions == {"detector": "bf16", "calculator": "int8", "plugins": "f32"}
    assert chosen.precision == "detector=bf16 calculator=int8 plugins=f32"
    assert chosen.reason.startswith("chosen automatically: the CPU computes bf16 and int8 natively")


def test_without_the_packs_int8_calibration_the_recognizer_runs_in_bf16() -> None:
    assert _choose(ZEN4, int8_calibrated=False).precisions == {"detector": "bf16", "calculator": "bf16",
                                                               "plugins": "f32"}


def test_a_cpu_with_vnni_but_without_bfloat16_gets_an_int8_recognizer_and_the_rest_in_f32() -> None:
    assert _choose(ICE_LAKE).precisions == {"detector": "f32", "calculator": "int8", "plugins": "f32"}


def test_precision_is_set_for_every_model_or_per_role() -> None:
    assert _choose(ZEN4, precision="bf16").precision == "bf16"
    assert _choose(ZEN4, backend="openvino", precision="f32").precision == "f32"
    chosen = _choose(ZEN4, model_precisions={"detector": "f32", "calculator": "bf16"})
    assert chosen.precisions == {"detector": "f32", "calculator": "bf16", "plugins": "f32"}
    assert _choose(ZEN4, precision="f32", model_precisions={"calculator": "int8"}).precisions["calculator"] == "int8"


@pytest.mark.parametrize("flags", [SKYLAKE, HASWELL, frozenset()])
def test_auto_runs_openvino_float32_on_cpus_without_bfloat16(flags) -> None:
    chosen = _choose(flags)
    assert (chosen.backend, chosen.precision, chosen.device) == ("openvino", "f32", "CPU")
    assert "float32 OpenVINO is the faster" in chosen.reason


def test_auto_uses_cuda_where_onnxruntime_has_it_and_onnxruntime_without_openvino() -> None:
    assert (_choose(SAPPHIRE_RAPIDS, cuda=True).backend, _choose(SAPPHIRE_RAPIDS, cuda=True).device) == \
        ("onnxruntime", "CUDA")
    assert _choose(ZEN4, openvino=False).backend == "onnxruntime"
    assert _choose(ZEN4, openvino=False).reason == "chosen automatically: the openvino package is not installed"
    assert (_choose(ZEN4, precision="f32").backend, _choose(ZEN4, precision="f32").precision) == ("openvino", "f32")


def test_named_configurations_are_taken_as_named() -> None:
    assert _choose(ZEN4, backend="onnxruntime").backend == "onnxruntime"
    named = _choose(SKYLAKE, backend="openvino")
    assert (named.backend, named.precision, named.reason) == ("openvino", "f32", "named by INFERENCE_BACKEND")
    assert _choose(ZEN4, backend="openvino", precision="f32").precision == "f32"


@pytest.mark.parametrize("arguments, message", [
    ({"flags": SKYLAKE, "precision": "bf16"}, r"needs a CPU that computes bfloat16 natively .*this one has avx2"),
    ({"flags": ZEN4, "backend": "onnxruntime", "precision": "bf16"}, "needs INFERENCE_BACKEND=openvino"),
    ({"flags": ZEN4, "backend": "openvino", "openvino": False}, "the openvino package is not installed"),
    ({"flags": ZEN4, "model_precisions": {"detector": "int8"}}, "int8 .* is for the recognizer only"),
    ({"flags": SKYLAKE, "model_precisions": {"calculator": "int8"}}, r"needs a CPU with int8 dot products .*avx512f"),
    ({"flags": ZEN4, "int8_calibrated": False, "model_precisions": {"calculator": "int8"}},
     "needs the recognizer's int8 calibration, which this pack does not ship"),
    ({"flags": ZEN4, "backend": "onnxruntime", "model_precisions": {"calculator": "int8"}},
     "int8 .* needs INFERENCE_BACKEND=openvino"),
])
def test_a_configuration_that_cannot_run_here_is_refused_with_the_reason(arguments, message) -> None:
    with pytest.raises(BackendUnavailable, match=message):
        _choose(**arguments)


def test_a_bf16_model_on_a_cpu_without_bfloat16_is_refused() -> None:
    options = RuntimeOptions(threads=1, use_gpu=False, model_precisions={"calculator": "bf16"})
    with pytest.raises(BackendUnavailable, match="needs a CPU that computes bfloat16 natively"):
        choose_configuration(options, HASWELL, openvino=True, cuda=False)


def test_the_server_refuses_to_start_on_an_impossible_configuration() -> None:
    env = {"PATH": os.environ["PATH"], "MODELS_DIR": str(MODELS_DIR), "FETCH_MISSING_MODELS": "false", "PORT": str(free_port()),
           "METRICS_PORT": "0", "INFERENCE_BACKEND": "onnxruntime", "INFERENCE_PRECISION": "bf16"}
    result = subprocess.run([sys.executable, "-m", "core"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "bf16 (INFERENCE_PRECISION or MODEL_PRECISIONS) needs INFERENCE_BACKEND=openvino" in result.stderr


def test_compiled_models_are_cached_on_disk_and_reused(tmp_path) -> None:
    options = RuntimeOptions(threads=2, use_gpu=False, backend="openvino", precision="f32", cache_dir=tmp_path)
    first = SessionFactory(options).create(MODELS_DIR / PACK.detector.file)
    assert not first.loaded_from_cache
    assert any(tmp_path.iterdir())
    again = SessionFactory(options).create(MODELS_DIR / PACK.detector.file)
    assert again.loaded_from_cache
    canvas = np.random.default_rng(0).standard_normal((1, 3, 320, 320)).astype(np.float32)
    feeds = {first.get_inputs()[0].name: canvas}
    for expected, actual in zip(first.run(None, feeds), again.run(None, feeds)):
        np.testing.assert_array_equal(expected, actual)


def _factory(cache_dir, **options) -> SessionFactory:
    return SessionFactory(RuntimeOptions(threads=2, use_gpu=False, cache_dir=cache_dir, **options))


# The default on this CPU, OpenVINO in float32, and every model in bf16 where the CPU has it; the least
# cosine each keeps to onnxruntime's float32 embeddings of the same crops.
CONFIGURATIONS = [({}, 0.999), ({"backend": "openvino", "precision": "f32"}, 0.9999)]
if has_native_bf16():
    CONFIGURATIONS.append(({"backend": "openvino", "precision": "bf16"}, 0.995))


@pytest.mark.parametrize("options, least_cosine", CONFIGURATIONS)
def test_every_backend_finds_the_same_faces_with_the_same_embeddings(options, least_cosine, tmp_path) -> None:
    reference, other = _factory(None, backend="onnxruntime"), _factory(tmp_path, **options)
    image = decode_image(GROUP.read_bytes(), 50_000_000).pixels
    detect = MODELS_DIR / PACK.detector.file
    expected = build_detector(PACK.detector, detect, reference.for_role("detector"), 640).detect(image, 0.5)
    found = build_detector(PACK.detector, detect, other.for_role("detector"), 640).detect(image, 0.5)
    assert len(found) == len(expected) == 6
    for a, b in zip(sorted(expected, key=lambda face: face.box[0]), sorted(found, key=lambda face: face.box[0])):
        assert np.abs(a.box - b.box).max() < 2.0 and np.abs(a.landmarks - b.landmarks).max() < 2.0
    crops = np.stack([decode_image(path.read_bytes(), 50_000_000).pixels[70:182, 70:182]
                      for path in sorted(LFW_IMAGES.glob("*/*.jpg"))[:3]])
    recognise = MODELS_DIR / PACK.recognizer.file
    recognizer = Recognizer(PACK.recognizer, recognise, reference.for_role("calculator"))
    candidate = Recognizer(PACK.recognizer, recognise, other.for_role("calculator"))
    cosines = np.sum(recognizer.embed(crops) * candidate.embed(crops), axis=1)
    assert cosines.min() > least_cosine


def test_an_unwritable_cache_folder_only_costs_compile_time(tmp_path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    options = RuntimeOptions(threads=1, use_gpu=False, backend="openvino", precision="f32", cache_dir=blocked / "cache")
    session = SessionFactory(options).create(MODELS_DIR / PACK.detector.file)
    assert not session.loaded_from_cache and session.get_inputs()


@pytest.mark.parametrize("streams, expected_streams", [(0, 2), (1, 1)])
def test_openvino_shares_the_thread_budget_among_its_streams(streams, expected_streams) -> None:
    """By default one single-threaded stream per thread; OPENVINO_STREAMS=1 gives its one stream every thread."""
    options = RuntimeOptions(threads=2, use_gpu=False, backend="openvino", precision="f32", streams=streams)
    compiled = SessionFactory(options).create(MODELS_DIR / PACK.detector.file).compiled
    assert compiled.get_property("NUM_STREAMS") == expected_streams
    assert compiled.get_property("INFERENCE_NUM_THREADS") == 2


def test_concurrent_runs_on_several_streams_give_each_request_its_own_answer() -> None:
    options = RuntimeOptions(threads=2, use_gpu=False, backend="openvino", precision="f32")
    recognizer = Recognizer(PACK.recognizer, MODELS_DIR / PACK.recognizer.file, SessionFactory(options))
    crops = np.random.default_rng(1).integers(0, 256, (8, 1, 112, 112, 3), dtype=np.uint8)
    alone = [recognizer.embed(crop) for crop in crops]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(recognizer.embed, crops))
    for expected, actual in zip(alone, together):
        np.testing.assert_allclose(actual, expected, atol=1e-5)


def test_a_photos_faces_are_split_among_the_idle_streams_with_the_same_embeddings() -> None:
    """A group photo's faces run on every stream idle at the time (here both), each on its part of the batch, and
    the embeddings are those of one face at a time; a detector's run is never split."""
    sessions = SessionFactory(RuntimeOptions(threads=2, use_gpu=False, backend="openvino", precision="f32"))
    recognizer = Recognizer(PACK.recognizer, MODELS_DIR / PACK.recognizer.file, sessions)
    detector = build_detector(PACK.detector, MODELS_DIR / PACK.detector.file, sessions, 640)
    assert recognizer.session.rows_independent and not detector.session.rows_independent
    crops = np.random.default_rng(2).integers(0, 256, (5, 112, 112, 3), dtype=np.uint8)
    one_by_one = np.concatenate([recognizer.embed(crop[np.newaxis]) for crop in crops])
    np.testing.assert_allclose(recognizer.embed(crops), one_by_one, atol=1e-5)
    requests = recognizer.session._borrow(2)  # the two infer requests, to see what each ran last
    assert sorted(request.get_input_tensor(0).shape[0] for request in requests) == [2, 3]


def test_the_int8_recognizer_keeps_the_embeddings_of_real_faces(tmp_path) -> None:
    """Configured directly, so that it runs on every CPU (without VNNI OpenVINO emulates the int8 arithmetic)."""
    int8 = Configuration("openvino", {"detector": "f32", "calculator": "int8", "plugins": "f32"}, "CPU", "a test")
    sessions = SessionFactory(RuntimeOptions(threads=1, use_gpu=False, cache_dir=tmp_path), int8)
    recognise = MODELS_DIR / PACK.recognizer.file
    candidate = Recognizer(PACK.recognizer, recognise, sessions.for_role("calculator"))
    reference = Recognizer(PACK.recognizer, recognise, _factory(None, backend="onnxruntime").for_role("calculator"))
    crops = np.stack([decode_image(path.read_bytes(), 50_000_000).pixels
                      for path in sorted((DATA_DIR / "lfw-dev" / "aligned112").glob("*.jpg"))])
    cosines = np.sum(reference.embed(crops) * candidate.embed(crops), axis=1)
    assert cosines.min() > 0.96, cosines  # 0.974 to 0.988 here; bench/quantized.py measures the accuracy gates
    assert candidate.batchable
