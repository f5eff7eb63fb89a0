"""One image in, its faces out: decode, detect, align, embed, plugins, with the response cache."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import cv2
import numpy as np

from core.alignment import ARCFACE_TEMPLATE_112, arcface_crop
from core.batching import EmbeddingBatcher
from core.cache import ResponseCache, cache_key
from core.detectors import build_detector
from core.cpu_features import inference_features
from core.faces import DetectedFace
from core.images import ImageError, decode_image
from core.model_pack import ModelPack
from core.plugins import build_plugins
from core.recognizer import Recognizer
from core.runtime import SessionFactory
from core.settings import CoreSettings
from proto import core_pb2 as pb

log = logging.getLogger(__name__)

CALCULATOR = "calculator"
LANDMARKS = "landmarks"
# CompreFace skips these when the whole image is taken as the face.
NEEDS_DETECTION = {"pose", "mask"}


class InvalidInput(ValueError):
    """A request the server cannot process as given; the message is for the client."""


class FacePipeline:
    def __init__(self, settings: CoreSettings, pack: ModelPack, model_paths: dict[str, Path | str],
                 sessions: SessionFactory) -> None:
        self.settings = settings
        self.pack = pack
        self.sessions = sessions
        self.detector = build_detector(pack.detector, _required(model_paths, "detector"),
                                       sessions.for_role("detector"), settings.img_length_limit)
        self.recognizer = Recognizer(pack.recognizer, _required(model_paths, CALCULATOR), sessions.for_role(CALCULATOR))
        self.plugins, self.unavailable_plugins = build_plugins(pack, model_paths, sessions.for_role("plugins"))
        memory = settings.memory_in_megabytes * 1024 * 1024
        self.batcher = None
        if settings.batching and self.recognizer.batchable:
            self.batcher = EmbeddingBatcher(self.recognizer.embed, settings.max_batch_size,
                                            settings.max_batch_wait_ms / 1000, memory // 2)
        self.cache = _build_cache(settings, memory // 2)
        self.model_versions = ";".join(
            [f"pack={pack.name}", f"max_side={settings.img_length_limit}"]
            + [f"{role}={model.version}:{model.sha256}" for role, model in pack.model_files().items()]
        )
        self.plugins_versions = {"detector": pack.detector.name, CALCULATOR: pack.recognizer.name}
        self.plugins_versions.update({slug: plugin.version for slug, plugin in self.plugins.items()})

    def close(self) -> None:
        if self.batcher:
            self.batcher.stop()
        if self.cache:
            self.cache.close()

    def process(self, request: pb.ProcessImageRequest) -> pb.ProcessImageResponse:
        threshold = self._threshold(request)
        if request.limit < 0:
            raise InvalidInput("Limit value is invalid (limit >= 0)")
        plugins = self._requested_plugins(request)
        key = None
        if self.cache:
            key = cache_key(request.image, _parameters(request, threshold, plugins), self.model_versions)
            cached = self.cache.get(key)
            if cached:
                response = pb.ProcessImageResponse.FromString(cached[0])
                response.cache = cached[1]
                return response
        response = self._compute(request, threshold, plugins)
        if key:
            self.cache.put(key, response.SerializeToString())
        return response

    def _threshold(self, request: pb.ProcessImageRequest) -> float:
        if not request.HasField("det_prob_threshold"):
            return self.pack.detector.default_threshold
        threshold = request.det_prob_threshold
        if not 0.0 <= threshold <= 1.0:
            raise InvalidInput("Detection threshold incorrect (0 <= det_prob_threshold <= 1)")
        return threshold

    def _requested_plugins(self, request: pb.ProcessImageRequest) -> list[str]:
        """Known, available plugin slugs in a stable order; others are ignored as CompreFace does."""
        wanted = {slug.strip().lower() for slug in request.face_plugins}
        known = [CALCULATOR, LANDMARKS, *sorted(self.plugins)]
        chosen = [slug for slug in known if slug in wanted]
        if request.whole_image_is_face:
            chosen = [slug for slug in chosen if slug not in NEEDS_DETECTION]
        return chosen

    def _compute(self, request: pb.ProcessImageRequest, threshold: float, plugins: list[str]
                 ) -> pb.ProcessImageResponse:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        with _timed(timings, "decode"):
            try:
                decoded = decode_image(request.image, self.settings.max_image_pixels,
                                       self.settings.decode_min_long_side)
            except ImageError as error:
                raise InvalidInput(str(error)) from None
        image = decoded.pixels
        embed = CALCULATOR in plugins
        batching = self.batcher.request() if (embed and self.batcher) else nullcontext()
        with batching:
            with _timed(timings, "detector"):
                faces = self._find_faces(image, threshold, request.whole_image_is_face, request.limit)
            results = [pb.Face() for _ in faces]
            batch_size = 0
            if embed and faces:
                batch_size = self._add_embeddings(image, faces, results, request.whole_image_is_face, timings)
        for slug in plugins:
            if slug in self.plugins and faces:
                with _timed(timings, slug):
                    self.plugins[slug].annotate(image, faces, results)
        _place_in_original(results, faces, decoded.scale)
        response = pb.ProcessImageResponse(
            faces=results, image_width=decoded.width, image_height=decoded.height,
            plugins_versions={slug: self.plugins_versions[slug]
                              for slug in ["detector", *plugins] if slug in self.plugins_versions},
            embedding_batch_size=batch_size,
        )
        if request.with_timings:
            timings["total"] = (time.perf_counter() - started) * 1000
            response.timings_ms.update(timings)
            _share_timings(response, timings, ["detector", *plugins])
        return response

    def _find_faces(self, image: np.ndarray, threshold: float, whole_image: bool, limit: int
                    ) -> list[DetectedFace]:
        if whole_image:
            height, width = image.shape[:2]
            scale = np.array([width / 112.0, height / 112.0], dtype=np.float32)
            return [DetectedFace(box=np.array([0, 0, width, height], dtype=np.float32), score=1.0,
                                 landmarks=ARCFACE_TEMPLATE_112 * scale)]
        faces = sorted(self.detector.detect(image, threshold), key=lambda face: face.area, reverse=True)
        return faces[:limit] if limit else faces

    def _add_embeddings(self, image: np.ndarray, faces: Sequence[DetectedFace], results: list[pb.Face],
                        whole_image: bool, timings: dict[str, float]) -> int:
        size = self.pack.recognizer.crop_size
        with _timed(timings, "align"):
            if whole_image:
                crops = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)[np.newaxis]
            else:
                crops = np.stack([arcface_crop(image, face.landmarks, size) for face in faces])
        with _timed(timings, CALCULATOR):
            if self.batcher:
                embeddings, batch_size = self.batcher.embed(crops)
            else:
                embeddings, batch_size = self.recognizer.embed(crops), len(crops)
        for result, embedding in zip(results, embeddings):
            result.embedding.extend(embedding.tolist())
        return batch_size

    def warm_up(self, rounds: int) -> None:
        """Runs every model once per round so that the first real request is not slow."""
        rng = np.random.default_rng(0)
        image = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
        face = DetectedFace(box=np.array([200, 100, 400, 340], dtype=np.float32), score=1.0,
                            landmarks=ARCFACE_TEMPLATE_112 * 2 + np.array([188, 105], dtype=np.float32))
        size = self.pack.recognizer.crop_size
        for _ in range(rounds):
            self.detector.detect(image, 0.5)
            self.recognizer.embed(rng.integers(0, 256, (1, size, size, 3), dtype=np.uint8))
            for plugin in self.plugins.values():
                plugin.annotate(image, [face], [pb.Face()])

    def status(self) -> pb.StatusResponse:
        recognizer = self.pack.recognizer
        return pb.StatusResponse(
            pack=self.pack.name,
            pack_license=self.pack.license,
            models=[pb.ModelInfo(role=role, name=model.name, version=model.version, sha256=model.sha256,
                                 license=model.license)
                    for role, model in self.pack.model_files().items()
                    if role not in self.unavailable_plugins],
            embedding_size=recognizer.embedding_size,
            available_plugins=[CALCULATOR, LANDMARKS, *sorted(self.plugins)],
            unavailable_plugins=self.unavailable_plugins,
            similarity_c0=recognizer.similarity_c0,
            similarity_c1=recognizer.similarity_c1,
            calculator_version=recognizer.name,
            default_det_prob_threshold=self.pack.detector.default_threshold,
            build_version=self.settings.build_version,
            execution_provider=self.sessions.execution_provider,
            inference_backend=self.sessions.configuration.backend,
            inference_precision=self.sessions.configuration.precision,
            inference_choice=self.sessions.configuration.reason,
            cpu_features=inference_features(),
        )


def _required(model_paths: dict[str, Path | str], role: str) -> Path:
    path = model_paths[role]
    if isinstance(path, str):
        raise FileNotFoundError(f"The {role} model is unavailable: {path}")
    return path


def _build_cache(settings: CoreSettings, memory_bytes: int) -> ResponseCache | None:
    shared = settings.second_layer_response_cache_dir if settings.enable_second_layer_response_cache else None
    if not settings.enable_response_caching and shared is None:
        return None
    return ResponseCache(
        memory_bytes=memory_bytes if settings.enable_response_caching else 0,
        local_dir=settings.response_cache_dir if settings.enable_response_caching else None,
        local_limit_bytes=settings.cache_responses_size_limit_bytes,
        shared_dir=shared,
        shared_limit_bytes=settings.second_layer_cache_size_limit_bytes,
    )


def _parameters(request: pb.ProcessImageRequest, threshold: float, plugins: list[str]) -> bytes:
    """The request's parameters in canonical form, for the cache key."""
    canonical = pb.ProcessImageRequest(det_prob_threshold=threshold, limit=request.limit, face_plugins=plugins,
                                       whole_image_is_face=request.whole_image_is_face,
                                       with_timings=request.with_timings)
    return canonical.SerializeToString(deterministic=True)


def _place_in_original(results: Sequence[pb.Face], faces: Sequence[DetectedFace], scale: float) -> None:
    """Boxes and landmarks in original-image pixels (``scale`` original pixels per decoded pixel),
    including the points plugins found in the decoded image."""
    for result, face in zip(results, faces):
        x_min, y_min, x_max, y_max = (round(float(value) * scale) for value in face.box)
        result.box.CopyFrom(pb.Box(x_min=x_min, y_min=y_min, x_max=x_max, y_max=y_max, probability=face.score))
        result.landmarks.extend(pb.Point(x=float(x) * scale, y=float(y) * scale) for x, y in face.landmarks)
        for point in result.landmarks2d106:
            point.x *= scale
            point.y *= scale


def _share_timings(response: pb.ProcessImageResponse, timings: dict[str, float], steps: list[str]) -> None:
    """Each face's share of the per-image step times, as CompreFace reports ``execution_time``."""
    count = max(1, len(response.faces))
    for face in response.faces:
        face.timings_ms.update({step: timings[step] / count for step in steps if step in timings})


@contextmanager
def _timed(timings: dict[str, float], step: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = timings.get(step, 0.0) + (time.perf_counter() - started) * 1000
