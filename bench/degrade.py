"""Image edits for the quality and liveness benchmarks: degraded copies of a photo (blur, downscale,
JPEG, noise, occlusion) and weak synthetic stand-ins for presentation attacks (recompression,
screen moire, a printed photo held in a frame). All take and return RGB uint8 arrays;
``rng`` makes the random ones repeatable. The attack stand-ins are image edits, not re-captured
prints or screens: weak evidence either way."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma)


def downscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Shrunk by ``factor`` and brought back to its size: the detail of a face that many times smaller."""
    height, width = image.shape[:2]
    small = cv2.resize(image, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].copy()


def noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return np.clip(image + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)


def occlude_lower_half(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """A grey block over the lower half of the face box (a scarf, a hand)."""
    x_min, y_min, x_max, y_max = (int(round(float(v))) for v in box[:4])
    occluded = image.copy()
    occluded[(y_min + y_max) // 2:y_max, max(x_min, 0):x_max] = 128
    return occluded


def recompressed(image: np.ndarray) -> np.ndarray:
    """Shrunk, sharpened and saved three times at JPEG quality 30: a photo passed around online."""
    height, width = image.shape[:2]
    small = cv2.resize(image, (width * 2 // 3, height * 2 // 3), interpolation=cv2.INTER_AREA)
    sharpened = cv2.addWeighted(small, 1.5, cv2.GaussianBlur(small, (0, 0), 2), -0.5, 0)
    for _ in range(3):
        sharpened = jpeg(sharpened, 30)
    return cv2.resize(sharpened, (width, height), interpolation=cv2.INTER_LINEAR)


def screen_moire(image: np.ndarray) -> np.ndarray:
    """Interference of a display's pixel grid with a camera's: diagonal fringes, raised blacks,
    a blue cast and a little glare."""
    height, width = image.shape[:2]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    fringes = 0.5 + 0.5 * np.sin(2 * np.pi * (x * 0.23 + y * 0.17))
    shown = image.astype(np.float32) * (0.8 + 0.2 * fringes[..., None]) * 0.85 + 30
    shown[..., 2] += 12
    glare = np.exp(-(((x - width * 0.7) ** 2 + (y - height * 0.3) ** 2) / (2 * (width * 0.15) ** 2)))
    return np.clip(shown + 60 * glare[..., None], 0, 255).astype(np.uint8)


def printed_in_frame(image: np.ndarray) -> np.ndarray:
    """The photo shrunk to 60 %, with print contrast and paper tint, held inside a plain room
    scene with a white border: what a camera sees when a print is held up to it."""
    height, width = image.shape[:2]
    scene = np.full_like(image, (92, 84, 76))
    inner_w, inner_h = int(width * 0.6), int(height * 0.6)
    printed = cv2.resize(image, (inner_w, inner_h), interpolation=cv2.INTER_AREA).astype(np.float32)
    printed = (printed * 0.75 + np.array([50, 45, 35])).clip(0, 255).astype(np.uint8)
    border = max(4, inner_w // 20)
    top, left = (height - inner_h) // 2, (width - inner_w) // 2
    scene[top - border:top + inner_h + border, left - border:left + inner_w + border] = (235, 232, 225)
    scene[top:top + inner_h, left:left + inner_w] = printed
    return scene


def degradations(box: np.ndarray, rng: np.random.Generator) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """Name -> edit, mildest first within each kind."""
    edits: dict[str, Callable[[np.ndarray], np.ndarray]] = {}
    for sigma in (1.5, 3.0):
        edits[f"blur_sigma{sigma:g}"] = lambda image, sigma=sigma: blur(image, sigma)
    for factor in (4, 8):
        edits[f"downscale_x{factor}"] = lambda image, factor=factor: downscale(image, factor)
    for quality in (10, 5):
        edits[f"jpeg_q{quality}"] = lambda image, quality=quality: jpeg(image, quality)
    for sigma in (15.0, 30.0):
        edits[f"noise_sigma{sigma:g}"] = lambda image, sigma=sigma: noise(image, sigma, rng)
    edits["occlusion_lower_half"] = lambda image: occlude_lower_half(image, box)
    return edits


ATTACK_PROXIES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "recompressed": recompressed, "screen_moire": screen_moire, "printed_in_frame": printed_in_frame,
}
