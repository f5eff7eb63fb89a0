"""``python -m core`` and the ``likeness-core`` command: the embedding server."""

import os


def main() -> None:
    # prometheus_client keeps every value in a file under PROMETHEUS_MULTIPROC_DIR when that is set
    # (meant for gunicorn's workers; say, in an environment every service shares), and it picks that
    # mode when it is first imported: the folder must exist before core.metrics creates its metrics.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    from core.server import main as serve

    serve()


if __name__ == "__main__":
    main()
