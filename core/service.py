"""The gRPC FaceService: turns pipeline outcomes into gRPC answers and status codes."""

from __future__ import annotations

import logging

import grpc

from core.batching import Overloaded
from core.pipeline import FacePipeline, InvalidInput
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
            return pipeline.process(request)
        except InvalidInput as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except Overloaded as error:
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(error))
        except Exception:
            log.exception("Unexpected failure processing an image of %d bytes", len(request.image))
            context.abort(grpc.StatusCode.INTERNAL, "Internal error while processing the image")

    def GetStatus(self, request: pb.StatusRequest, context: grpc.ServicerContext) -> pb.StatusResponse:
        return self._ready_pipeline(context).status()

    def _ready_pipeline(self, context: grpc.ServicerContext) -> FacePipeline:
        pipeline = self.pipeline
        if pipeline is None:
            context.abort(grpc.StatusCode.UNAVAILABLE, "The embedding server is still loading its models")
        return pipeline
