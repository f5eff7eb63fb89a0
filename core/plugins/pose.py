"""Head pose (pitch, yaw, roll in degrees) from the 5 detector landmarks; no model file.

``cv2.solvePnP`` (Levenberg-Marquardt on the reprojection error, started from the in-plane
rotation of the eye line) fits a generic 3D mean face of those 5 points to the image, with a
pinhole camera of focal length = image width centred on the image. The head rotation R (face
frame -> camera frame) is split as R = Rz(roll) Ry(yaw) Rx(pitch), so an in-plane rotation
is all roll. Unlike SQPnP, this works for faces of a few pixels in very large images.

Signs follow InsightFace's ``Face.pose`` (``transform.matrix2angle`` on its 3D landmarks, whose
face frame has z towards the camera):
  * pitch > 0: the face looks up (chin raised);
  * yaw > 0: the face turns towards the image's right (the subject's left);
  * roll > 0: the face is rotated clockwise in the image as displayed (a positive angle of
    ``cv2.getRotationMatrix2D``, which turns the image counter-clockwise, gives a negative roll).
A frontal face gives about (0, 0, 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from core.faces import DetectedFace
from core.plugins.base import FacePlugin
from core.results import HeadPose

# A mean adult face in mm (x right, y down, z away from the camera), in the order of
# DetectedFace.landmarks (eye on the image left first). Interpupillary distance 63 mm; the
# frontal layout is the median of SCRFD's keypoints on LFW faces (so the median LFW face reads
# about 0 pitch); depths behind the nose tip are those of InsightFace's mean 68-point shape.
EYE_DISTANCE_MM = 63.0
MEAN_FACE_MM = np.array([
    [-31.5, -36.0, 34.0],  # left eye
    [31.5, -36.0, 34.0],   # right eye
    [0.0, 0.0, 0.0],       # nose tip
    [-26.0, 32.0, 26.0],   # left mouth corner
    [26.0, 32.0, 26.0],    # right mouth corner
])


def head_pose(landmarks: np.ndarray, width: int, height: int) -> tuple[float, float, float]:
    """(pitch, yaw, roll) in degrees of a face with these 5 landmarks in a width x height image."""
    points = landmarks.astype(np.float64)
    camera = np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], dtype=np.float64)
    # Start from a face turned only in the image plane, at the distance its eye spacing implies.
    eye_line = points[1] - points[0]
    distance = width * EYE_DISTANCE_MM / max(float(np.linalg.norm(eye_line)), 1e-3)
    rotation_guess = np.array([0.0, 0.0, math.atan2(eye_line[1], eye_line[0])])
    translation_guess = np.array([*((points[2] - camera[:2, 2]) * distance / width), distance])
    _, rotation_vector, _ = cv2.solvePnP(
        MEAN_FACE_MM, points, camera, None, rotation_guess, translation_guess,
        useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE,
    )
    rotation, _ = cv2.Rodrigues(rotation_vector)
    # Angles of R = Rz Ry Rx in the camera frame (x right, y down, z forward). InsightFace's
    # frame has z towards the camera, which flips the signs of pitch and yaw but not of roll.
    pitch = math.atan2(rotation[2, 1], rotation[2, 2])
    yaw = -math.asin(float(np.clip(rotation[2, 0], -1.0, 1.0)))
    roll = math.atan2(rotation[1, 0], rotation[0, 0])
    return -math.degrees(pitch), -math.degrees(yaw), math.degrees(roll)


class PosePlugin(FacePlugin):
    slug = "pose"
    version = "likeness.pose_from_5_landmarks"

    def annotate(self, image: np.ndarray, faces: Sequence[DetectedFace]) -> list[HeadPose]:
        height, width = image.shape[:2]
        return [HeadPose(*head_pose(face.landmarks, width, height)) for face in faces]
