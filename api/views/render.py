"""The JSON shapes of the REST API: the services' plain results as CompreFace answers them."""

from __future__ import annotations

from api.services.detection import Detection
from api.services.faces import CALCULATOR
from api.services.recognition import Recognition, RecognizedEmbedding
from api.services.search import SearchResult
from api.services.verification import EmbeddingMatch, FaceVerification, ImageVerification, SubjectVerification
from common.similarity import round_half_up
from proto import core_pb2 as pb


def face_object(face: pb.Face, plugins: list[str], status: bool, round_probability: bool) -> dict[str, object]:
    """The fields CompreFace returns for one face, given the plugins the client asked for.

    Recognition and verification round the box probability to 5 decimals; detection does not.
    """
    probability = round_half_up(face.box.probability) if round_probability else float(face.box.probability)
    result: dict[str, object] = {
        "box": {"probability": probability, "x_max": face.box.x_max, "y_max": face.box.y_max,
                "x_min": face.box.x_min, "y_min": face.box.y_min},
    }
    if "age" in plugins and face.HasField("age"):
        result["age"] = {"probability": round(face.age.probability, 5), "high": face.age.high, "low": face.age.low}
    if "gender" in plugins and face.HasField("gender"):
        result["gender"] = {"probability": round(face.gender.probability, 5), "value": face.gender.value}
    if "pose" in plugins and face.HasField("pose"):
        result["pose"] = {"pitch": round(face.pose.pitch, 2), "roll": round(face.pose.roll, 2),
                          "yaw": round(face.pose.yaw, 2)}
    if "mask" in plugins and face.HasField("mask"):
        result["mask"] = {"probability": round(face.mask.probability, 5), "value": face.mask.value}
    if "quality" in plugins and face.HasField("quality"):
        result["quality"] = {"value": round(face.quality.value, 4), "acceptable": face.quality.acceptable,
                             "reasons": list(face.quality.reasons)}
    if "liveness" in plugins and face.HasField("liveness"):
        result["liveness"] = {"probability": round(face.liveness.probability, 5), "value": face.liveness.value}
    if CALCULATOR in plugins:
        result["embedding"] = list(face.embedding)
    if "landmarks2d106" in plugins and face.landmarks2d106:
        result["landmarks"] = _points(face.landmarks2d106)
    elif "landmarks" in plugins:
        result["landmarks"] = _points(face.landmarks)
    if status:
        result["execution_time"] = {step: float(round(ms)) for step, ms in face.timings_ms.items()}
    return result


def _points(points) -> list[list[int]]:
    return [[round(point.x), round(point.y)] for point in points]


def with_status(body: dict[str, object], show: bool, core: pb.ProcessImageResponse,
                timings: dict[str, object]) -> dict[str, object]:
    """``body`` with ``plugins_versions`` and the ``timings`` breakdown when ``status=true``."""
    if show:
        body["plugins_versions"] = dict(core.plugins_versions)
        body["timings"] = timings
    return body


def recognition(result: Recognition, plugins: list[str], status: bool) -> dict[str, object]:
    faces = []
    for found in result.faces:
        item = face_object(found.face, plugins, status, round_probability=True)
        item["subjects"] = [{"subject": candidate.subject, "similarity": candidate.similarity}
                            for candidate in found.candidates]
        faces.append(item)
    return with_status({"result": faces}, status, result.core, result.timings)


def detection(result: Detection, plugins: list[str], status: bool) -> dict[str, object]:
    faces = [face_object(face, plugins, status, round_probability=False) for face in result.faces]
    return with_status({"result": faces}, status, result.core, result.timings)


def image_verifications(results: list[ImageVerification], plugins: list[str], status: bool) -> dict[str, object]:
    """One result element per target image, in order (CompreFace's one element for one target)."""
    elements = []
    for result in results:
        matches = [{**face_object(match.face, plugins, status, round_probability=True), "similarity": match.similarity}
                   for match in result.matches]
        body = {"source_image_face": face_object(result.source, plugins, status, round_probability=True),
                "face_matches": matches}
        # CompreFace puts plugins_versions inside the result element here.
        elements.append(with_status(body, status, result.core, result.timings))
    return {"result": elements}


def subject_verification(result: SubjectVerification, plugins: list[str], status: bool) -> dict[str, object]:
    faces = [{**face_object(verdict.face, plugins, status, round_probability=True), "subject": result.subject,
              "similarity": verdict.similarity,
              "faces": [{"image_id": stored.image_id, "similarity": stored.similarity} for stored in verdict.faces]}
             for verdict in result.verdicts]
    return with_status({"result": faces}, status, result.core, result.timings)


def search(result: SearchResult, plugins: list[str], status: bool) -> dict[str, object]:
    faces = [{**face_object(found.face, plugins, status, round_probability=True),
              "matches": [{"image_id": match.image_id, "subject": match.subject, "similarity": match.similarity}
                          for match in found.matches]}
             for found in result.faces]
    return with_status({"result": faces}, status, result.core, result.timings)


def face_verification(result: FaceVerification, plugins: list[str], status: bool) -> dict[str, object]:
    faces = [{**face_object(match.face, plugins, status, round_probability=True), "subject": result.subject,
              "similarity": match.similarity} for match in result.matches]
    return with_status({"result": faces}, status, result.core, result.timings)


def recognized_embeddings(results: list[RecognizedEmbedding]) -> dict[str, object]:
    return {"result": [{"embedding": found.embedding.tolist(),
                        "similarities": [{"subject": candidate.subject, "similarity": candidate.similarity}
                                         for candidate in found.candidates]}
                       for found in results]}


def embedding_matches(matches: list[EmbeddingMatch]) -> dict[str, object]:
    return {"result": [{"embedding": match.embedding.tolist(), "similarity": match.similarity} for match in matches]}
