"""FakeCoreClient: a stand-in for the core servers, for the in-process api tests (tests/api_unit).

It is a fake, not the embedding server: it knows only the images a test told it about, each with
the faces (embeddings) it holds, and answers every other image with no face. The real core runs in
tests/api and everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from common.similarity import normalised
from proto import core_pb2 as pb

C0, C1 = 1.1, 6.0  # similarity coefficients of the fake model
DIMENSION = 8


class FakeCoreClient:
    """Answers like :class:`common.core_client.CoreClient`, from what :meth:`add_image` taught it."""

    def __init__(self) -> None:
        self._images: dict[bytes, list[np.ndarray]] = {}
        self.calls: list[dict[str, object]] = []
        self.impostor_tail: Sequence[tuple[float, float]] = ()  # none, unless a test hands one over

    def add_image(self, image: bytes, *embeddings: Sequence[float]) -> bytes:
        """``image`` holds one face per embedding; returns the image, for convenience."""
        self._images[image] = [normalised(np.array(vector, dtype=np.float32)) for vector in embeddings]
        return image

    def process_image(self, image: bytes, *, det_prob_threshold: float | None = None, limit: int = 0,
                      face_plugins: Sequence[str] = (), whole_image_is_face: bool = False,
                      with_timings: bool = False) -> pb.ProcessImageResponse:
        self.calls.append({"limit": limit, "face_plugins": list(face_plugins), "whole_image": whole_image_is_face})
        embeddings = self._images.get(image, [])
        if limit:
            embeddings = embeddings[:limit]
        faces = [pb.Face(box=pb.Box(x_min=10 * number, y_min=10, x_max=10 * number + 50, y_max=60, probability=0.99),
                         landmarks=[pb.Point(x=1.0, y=2.0)] * 5,
                         embedding=vector.tolist() if "calculator" in face_plugins else [])
                 for number, vector in enumerate(embeddings)]
        return pb.ProcessImageResponse(faces=faces, timings_ms={"detector": 1.0} if with_timings else {})

    def status(self) -> pb.StatusResponse:
        return pb.StatusResponse(embedding_size=DIMENSION, similarity_c0=C0, similarity_c1=C1,
                                 calculator_version="fake-calculator",
                                 impostor_tail=[pb.ImpostorTailPoint(similarity=s, far=far)
                                                for s, far in self.impostor_tail])

    def ready(self, timeout_s: float = 2.0) -> bool:
        return True

    def close(self) -> None:
        pass
