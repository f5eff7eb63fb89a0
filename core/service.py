"""The gRPC FaceService: the one place where the pipeline's plain results become protobuf; also
the response cache (which keeps answers in their wire form) and gRPC status codes."""

from __future__ import annotations

import logging

import grpc

from core.batching import Overloaded
from core.cache import cache_key
from core.cpu_features import inference_features
from core.pipeline import CALCULATOR, LANDMARKS, FacePipeline, ImageRequest, InvalidInput, ResolvedRequest
from core.results import AgeRange, FaceResult, HeadPose, ImageResult, Label, Landmarks106, PluginResult, Quality
from proto import core_pb2 as pb
from proto import core_pb2_grpc

log = logging.getLogger(__name__)


class FaceService(core_pb2_grpc.FaceServiceServicer):
    """Answers UNAVAILABLE until :attr:`pipeline` is set, once the models are loaded and warm."""

    def __init__(self) -> None:
        self.pipeline: FacePipeline | None = None

    def ProcessImage(self, request: pb.ProcessImageRequest, context: grpc.ServicerContext
                     ) -> pb.ProcessImageResponse:
        pipeline = self._ready_pipeline(context)
        try:
            return process(pipeline, request)
        except InvalidInput as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except Overloaded as error:
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(error))
        except Exception:
            log.exception("Unexpected failure processing an image of %d bytes", len(request.image))
            context.abort(grpc.StatusCode.INTERNAL, "Internal error while processing the image")

    def GetStatus(self, request: pb.StatusRequest, context: grpc.ServicerContext) -> pb.StatusResponse:
        return status(self._ready_pipeline(context))

    def _ready_pipeline(self, context: grpc.ServicerContext) -> FacePipeline:
        pipeline = self.pipeline
        if pipeline is None:
            context.abort(grpc.StatusCode.UNAVAILABLE, "The embedding server is still loading its models")
        return pipeline


def process(pipeline: FacePipeline, request: pb.ProcessImageRequest) -> pb.ProcessImageResponse:
    """The answer to one request, from the response cache when it holds it."""
    resolved = pipeline.resolve(ImageRequest(
        image=request.image,
        det_prob_threshold=request.det_prob_threshold if request.HasField("det_prob_threshold") else None,
        limit=request.limit, face_plugins=tuple(request.face_plugins),
        whole_image_is_face=request.whole_image_is_face, with_timings=request.with_timings,
    ))
    key = None
    if pipeline.cache:
        key = cache_key(request.image, _parameters(resolved), pipeline.model_versions)
        cached = pipeline.cache.get(key)
        if cached:
            response = pb.ProcessImageResponse.FromString(cached[0])
            response.cache = cached[1]
            return response
    response = image_response(pipeline.compute(resolved))
    if key:
        pipeline.cache.put(key, response.SerializeToString())
    return response


def _parameters(resolved: ResolvedRequest) -> bytes:
    """The request's parameters in canonical form, for the cache key."""
    request = resolved.request
    canonical = pb.ProcessImageRequest(det_prob_threshold=resolved.threshold, limit=request.limit,
                                       face_plugins=resolved.plugins,
                                       whole_image_is_face=request.whole_image_is_face,
                                       with_timings=request.with_timings)
    return canonical.SerializeToString(deterministic=True)


def image_response(result: ImageResult) -> pb.ProcessImageResponse:
    return pb.ProcessImageResponse(
        faces=[face_message(face) for face in result.faces],
        image_width=result.image_width, image_height=result.image_height,
        plugins_versions=result.plugins_versions, timings_ms=result.timings_ms,
        embedding_batch_size=result.embedding_batch_size,
    )


def face_message(face: FaceResult) -> pb.Face:
    x_min, y_min, x_max, y_max = face.box
    message = pb.Face(
        box=pb.Box(x_min=x_min, y_min=y_min, x_max=x_max, y_max=y_max, probability=face.probability),
        landmarks=[pb.Point(x=float(x), y=float(y)) for x, y in face.landmarks],
        timings_ms=face.timings_ms,
    )
    if face.embedding is not None:
        message.embedding.extend(face.embedding.tolist())
    for slug, answer in face.plugins.items():
        _fill_plugin(message, slug, answer)
    return message


def _fill_plugin(message: pb.Face, slug: str, answer: PluginResult) -> None:
    if isinstance(answer, Landmarks106):
        message.landmarks2d106.extend(pb.Point(x=float(x), y=float(y)) for x, y in answer.points)
    elif isinstance(answer, AgeRange):
        message.age.CopyFrom(pb.Age(low=answer.low, high=answer.high, probability=answer.probability))
    elif isinstance(answer, HeadPose):
        message.pose.CopyFrom(pb.Pose(pitch=answer.pitch, yaw=answer.yaw, roll=answer.roll))
    elif isinstance(answer, Quality):
        message.quality.CopyFrom(pb.Quality(value=answer.value, acceptable=answer.acceptable,
                                            reasons=list(answer.reasons)))
    elif isinstance(answer, Label) and slug in ("gender", "mask", "liveness"):
        getattr(message, slug).CopyFrom(getattr(pb, slug.capitalize())(value=answer.value,
                                                                       probability=answer.probability))
    else:
        raise TypeError(f"no protobuf field for the {slug!r} plugin's {type(answer).__name__}")


def status(pipeline: FacePipeline) -> pb.StatusResponse:
    pack, recognizer = pipeline.pack, pipeline.pack.recognizer
    quality = pipeline.plugins.get("quality")
    return pb.StatusResponse(
        pack=pack.name,
        pack_license=pack.license,
        models=[pb.ModelInfo(role=role, name=model.name, version=model.version, sha256=model.sha256,
                             license=model.license)
                for role, model in pack.model_files().items()
                if role.split(".")[0] not in pipeline.unavailable_plugins],
        embedding_size=recognizer.embedding_size,
        available_plugins=[CALCULATOR, LANDMARKS, *sorted(pipeline.plugins)],
        unavailable_plugins=pipeline.unavailable_plugins,
        similarity_c0=recognizer.similarity_c0,
        similarity_c1=recognizer.similarity_c1,
        calculator_version=recognizer.name,
        default_det_prob_threshold=pack.detector.default_threshold,
        build_version=pipeline.settings.build_version,
        execution_provider=pipeline.sessions.execution_provider,
        inference_backend=pipeline.sessions.configuration.backend,
        inference_precision=pipeline.sessions.configuration.precision,
        inference_choice=pipeline.sessions.configuration.reason,
        cpu_features=inference_features(),
        impostor_tail=[pb.ImpostorTailPoint(similarity=s, far=far) for s, far in recognizer.impostor_tail],
        quality_acceptable_at=quality.acceptable_at if quality else 0.0,
    )
