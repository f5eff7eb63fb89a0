"""Bad, odd and unusual images, made in the test with Pillow and numpy from real faces."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

from tests.support.paths import LFW_IMAGES, lfw_image


def person(name: str = "Jacques_Chirac", number: int = 1) -> bytes:
    """A real LFW portrait (250x250 JPEG, one face)."""
    return lfw_image(name, number).read_bytes()


def people(count: int, number: int = 1) -> list[str]:
    """``count`` LFW identities (in name order) that have at least ``number`` photos."""
    names = sorted(path.name for path in LFW_IMAGES.iterdir() if lfw_image(path.name, number).exists())
    assert len(names) >= count, f"the LFW dev set has only {len(names)} people with {number} photos"
    return names[:count]


def face_image(name: str = "Jacques_Chirac", number: int = 1) -> Image.Image:
    return Image.open(io.BytesIO(person(name, number))).convert("RGB")


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    """The first 40 % of a real portrait JPEG."""
    data = person()
    return data[: len(data) * 2 // 5]


def corrupted_png() -> bytes:
    """A portrait PNG whose compressed pixel data is overwritten with noise (CRCs no longer match)."""
    data = bytearray(encoded(face_image(), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 100: start + 400] = np.random.default_rng(7).integers(0, 256, 300, dtype=np.uint8).tobytes()
    return bytes(data)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def decompression_bomb(side: int = 100_000) -> bytes:
    """A PNG of a few hundred bytes that declares ``side`` x ``side`` pixels (10 gigapixels by default):
    its pixel data is one zlib stream of zeros that would inflate to more than a gigabyte."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit grayscale
    rows = zlib.compress(b"\0" * ((side // 8 + 1) * 64), 9)  # the first rows; a decoder would want them all
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", rows) + _png_chunk(b"IEND", b"")


def animated_gif() -> bytes:
    """Two frames: a portrait, then a grey frame; the face is on the first."""
    face = face_image()
    return encoded(face, "GIF", save_all=True, append_images=[Image.new("RGB", face.size, (128, 128, 128))],
                   duration=100, loop=0)


def png_16_bit() -> bytes:
    """16-bit grayscale PNG (mode I;16) of a portrait, using the full 0..65535 range."""
    levels = np.asarray(face_image().convert("L"), dtype=np.uint16) * 257
    return encoded(Image.fromarray(levels), "PNG")


def cmyk_jpeg() -> bytes:
    return encoded(face_image().convert("CMYK"), "JPEG", quality=92)


def grayscale_jpeg() -> bytes:
    return encoded(face_image().convert("L"), "JPEG", quality=92)


def alpha_png() -> bytes:
    """RGBA PNG: the portrait opaque in the middle, a transparent border around it."""
    face = face_image().convert("RGBA")
    alpha = np.zeros((face.height, face.width), dtype=np.uint8)
    alpha[20:-20, 20:-20] = 255
    face.putalpha(Image.fromarray(alpha))
    return encoded(face, "PNG")


EXIF_ORIENTATION = 0x0112
ROTATE_90_CLOCKWISE_TO_DISPLAY = 6


def exif_rotated_jpeg() -> bytes:
    """A portrait stored lying on its side (rotated 90 degrees anticlockwise), with the EXIF orientation
    tag that tells viewers to turn it upright. A decoder that ignores EXIF sees a sideways face."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATE_90_CLOCKWISE_TO_DISPLAY
    return encoded(face_image().rotate(90, expand=True), "JPEG", quality=92, exif=exif.tobytes())


def sideways_jpeg() -> bytes:
    """The same stored pixels as :func:`exif_rotated_jpeg` without the EXIF tag."""
    return encoded(face_image().rotate(90, expand=True), "JPEG", quality=92)


def one_pixel_png() -> bytes:
    return encoded(Image.new("RGB", (1, 1), (200, 150, 120)), "PNG")


def text_file() -> bytes:
    return b"This is a text file, not an image.\n" * 20


def large_upload(megabytes: int) -> bytes:
    """``megabytes`` MB that start like a JPEG (the gateway and server must refuse them by size alone)."""
    return person() + b"\0" * (megabytes * 1024 * 1024 - len(person()))
