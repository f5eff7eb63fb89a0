"""Core's faces as CompreFace's JSON face objects."""

from __future__ import annotations

from api.similarity import round_half_up
from proto import core_pb2 as pb

CALCULATOR = "calculator"


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


def core_plugins(client_plugins: list[str], need_embedding: bool) -> list[str]:
    """What to ask the core for: the client's plugins, plus the calculator when the API needs it."""
    wanted = list(dict.fromkeys(client_plugins))
    if need_embedding and CALCULATOR not in wanted:
        wanted.append(CALCULATOR)
    return wanted


def _points(points) -> list[list[int]]:
    return [[round(point.x), round(point.y)] for point in points]
