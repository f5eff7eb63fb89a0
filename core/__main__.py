"""``python -m core`` and the ``likeness-core`` command: the embedding server."""

import os


def prepare_environment() -> None:
    """What must be in the environment before the server's libraries are imported."""
    # prometheus_client keeps every value in a file under PROMETHEUS_MULTIPROC_DIR when that is set
    # (meant for gunicorn's workers; say, in an environment every service shares), and it picks that
    # mode when it is first imported: the folder must exist before core.metrics creates its metrics.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    # Before NumPy loads OpenBLAS: the server runs its requests in threads and its models in OpenVINO's or
    # onnxruntime's own threads, and its BLAS calls are tiny (a 5-point alignment, small products). OpenBLAS's
    # own threads only spun after each of them: 3 % of the server's CPU under load, 5 % more CPU per face.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main() -> None:
    prepare_environment()
    from core.server import main as serve

    serve()


if __name__ == "__main__":
    main()
