#!/usr/bin/env python3
"""Container health check: exit 0 when the server at the address answers healthy, else 1 with the reason.

    likeness-healthcheck http://127.0.0.1:8080/ready     an HTTP GET must answer 200 (https: the
                                                         certificate is not checked, the server is local)
    likeness-healthcheck grpc://127.0.0.1:50051          grpc.health.v1 must say SERVING (core)

Installed in every image as /usr/local/bin/likeness-healthcheck; docker-compose.yml calls it.
"""

from __future__ import annotations

import ssl
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 5


def _local_tls() -> ssl.SSLContext:
    """TLS without checking the certificate: the server is this container's own."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def http_healthy(url: str) -> str | None:
    """None when ``url`` answers 200, else what went wrong."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S, context=_local_tls()) as answer:
            return None if answer.status == 200 else f"{url} answered {answer.status}"
    except urllib.error.HTTPError as error:
        return f"{url} answered {error.code}: {error.read(500).decode(errors='replace')}"
    except OSError as error:
        return f"{url}: {error}"


def grpc_healthy(address: str) -> str | None:
    """None when the gRPC server at ``address`` reports SERVING, else what went wrong."""
    import grpc  # only the core image has gRPC
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        try:
            status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT_S).status
        except grpc.RpcError as error:
            return f"{address}: {error.code().name} {error.details()}"
    serving = health_pb2.HealthCheckResponse.SERVING
    return None if status == serving else f"{address} is {health_pb2.HealthCheckResponse.ServingStatus.Name(status)}"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].startswith(("http://", "https://", "grpc://")):
        print("usage: likeness-healthcheck http://HOST:PORT/PATH | grpc://HOST:PORT", file=sys.stderr)
        return 2
    target = argv[0]
    problem = grpc_healthy(target.removeprefix("grpc://")) if target.startswith("grpc://") else http_healthy(target)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
