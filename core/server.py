"""Entry point of the embedding server: settings, models, gRPC with the health service."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from prometheus_client import start_http_server

from common.config import load_settings
from common.logs import announce_settings, configure_logging
from core.metrics import CallObserver
from core.model_fetch import ensure_models
from core.model_pack import ModelPack, PackError, load_pack
from core.pipeline import FacePipeline
from core.runtime import BackendUnavailable, SessionFactory, runtime_options
from core.service import FaceService
from core.settings import CoreSettings
from proto import core_pb2, core_pb2_grpc

SERVICE_NAME = core_pb2.DESCRIPTOR.services_by_name["FaceService"].full_name

log = logging.getLogger("core")


def main() -> None:
    settings = load_settings(CoreSettings)
    configure_logging("core", settings.log_level, settings.log_format)
    announce_settings("core", settings)
    try:
        pack = load_pack(settings.model_pack)
    except PackError as error:
        sys.exit(f"core: {error}")
    log.info("Model pack %r: %s", pack.name, pack.description)
    log.info("Licence terms: %s%s", pack.license,
             "" if pack.commercial_use else " NOT FOR COMMERCIAL USE.")
    serve(settings, pack)


def serve(settings: CoreSettings, pack: ModelPack) -> None:
    """Opens the port at once (health NOT_SERVING), loads and warms the models, then SERVING."""
    # Connections are closed (gracefully) after a while so that clients resolve PYTHON_URL's DNS name
    # again and find core servers added since (docker compose --scale, Kubernetes autoscaling).
    server_options = [("grpc.max_receive_message_length", settings.max_message_bytes),
                      ("grpc.max_send_message_length", settings.max_message_bytes),
                      ("grpc.max_connection_age_ms", 60_000), ("grpc.max_connection_age_grace_ms", 30_000)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=settings.grpc_workers,
                                                    thread_name_prefix="grpc"), options=server_options,
                         interceptors=[CallObserver()])
    health_servicer = health.HealthServicer()
    face_service = FaceService()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    core_pb2_grpc.add_FaceServiceServicer_to_server(face_service, server)
    _set_health(health_servicer, health_pb2.HealthCheckResponse.NOT_SERVING)
    server.add_insecure_port(f"[::]:{settings.port}")
    server.start()
    log.info("Listening for gRPC on port %d; loading models", settings.port)
    if settings.metrics_http_port:
        try:
            start_http_server(settings.metrics_http_port)
        except OSError as error:
            log.critical("Cannot serve metrics on port %d (METRICS_PORT): %s", settings.metrics_http_port, error)
            server.stop(grace=0)
            sys.exit(1)
        log.info("Prometheus metrics at http://0.0.0.0:%d/metrics", settings.metrics_http_port)

    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        log.info("Signal %d: stopping", signum)
        _set_health(health_servicer, health_pb2.HealthCheckResponse.NOT_SERVING)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    try:
        pipeline = _load_pipeline(settings, pack)
    except (PackError, BackendUnavailable, FileNotFoundError, OSError) as error:
        log.critical("Cannot load the models: %s", error)
        server.stop(grace=0)
        sys.exit(1)
    face_service.pipeline = pipeline
    if not stopping.is_set():
        _set_health(health_servicer, health_pb2.HealthCheckResponse.SERVING)
        log.info("Ready: serving on port %d", settings.port)
    stopping.wait()
    server.stop(grace=5).wait()
    pipeline.close()


def _load_pipeline(settings: CoreSettings, pack: ModelPack) -> FacePipeline:
    model_paths = ensure_models(pack, settings.models_dir, settings.fetch_missing_models)
    sessions = SessionFactory(runtime_options(settings, pack))
    log.info("Inference: %s", sessions.describe())
    pipeline = FacePipeline(settings, pack, model_paths, sessions)
    for slug, reason in pipeline.unavailable_plugins.items():
        log.warning("Plugin %s is unavailable: %s", slug, reason)
    pipeline.warm_up(settings.warmup_rounds)
    return pipeline


def _set_health(servicer: health.HealthServicer, status: int) -> None:
    for name in ("", SERVICE_NAME):
        servicer.set(name, status)


if __name__ == "__main__":
    main()
