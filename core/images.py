"""Turn uploaded image bytes into an RGB pixel array for the face pipeline.

Pillow reads every header and decodes every image but one kind: a colour or grayscale JPEG stored the
way it is displayed (no EXIF rotation), the most common upload, which OpenCV decodes (the same libjpeg-turbo,
the same pixels) straight into a NumPy array without holding the GIL; Pillow's copy into NumPy holds it, and
concurrent requests wait for it. Only the formats in ``FORMATS`` are accepted; EXIF orientation is
applied, so pixel coordinates refer to the image as a viewer displays it; transparent areas are
composited onto white (as most viewers show them); 16-bit, 32-bit and float images are scaled
(not clipped) to 8 bits. Every failure becomes ``ImageError`` with a message meant for the client.

The size limit is ours (``max_pixels``), checked from the header before any pixel is decoded.
Image files are opened through Pillow's format registry rather than ``Image.open``, because
``Image.open`` applies Pillow's global ``MAX_IMAGE_PIXELS`` guard (a printed warning, or an error
that does not name the size) before we could apply ours, and changing that global or the warnings
filters is not thread-safe. Pillow's guard still runs inside some plugins (an ICO entry or a GIF
frame bigger than the header says); its error then becomes ``ImageError`` as well.
"""

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageOps

Image.init()  # import Pillow's format plugins, which fills its registry Image.OPEN

FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF", "ICO")
BROKEN = "Image has incorrect format or is broken"
WHITE = (255, 255, 255, 255)
# OpenCV's flag for each JPEG reduction (libjpeg's DCT scaling).
OPENCV_JPEG_FLAGS = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                     8: cv2.IMREAD_REDUCED_COLOR_8}


class ImageError(ValueError):
    """Input that is not a usable image; str(error) is a message a person understands (it is sent back to the client)."""


@dataclass(frozen=True)
class DecodedImage:
    pixels: np.ndarray  # RGB uint8 [H, W, 3], C-contiguous, read-only
    scale: float        # original pixels per decoded pixel: 1.0 unless a JPEG was decoded reduced
    width: int          # of the original image as displayed (after EXIF orientation)
    height: int

    def __post_init__(self) -> None:
        self.pixels.flags.writeable = False  # the pipeline only reads them


def decode_image(data: bytes, max_pixels: int, min_long_side: int = 0) -> DecodedImage:
    """Decode an encoded image to RGB pixels.

    GIF, WebP and TIFF give their first frame, ICO its largest size. A JPEG whose long side is at
    least twice ``min_long_side`` is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, many
    times faster) as long as its long side stays at least ``min_long_side``; 0 decodes full size.
    Raises ImageError for empty, unsupported, broken or truncated input, and for images with more
    than ``max_pixels`` pixels.
    """
    if not data:
        raise ImageError("Image is empty")
    try:
        image = _open(data)
        _check_size(image.size, max_pixels)
        reduction = _jpeg_reduction(image, min_long_side)
        decoded = _plain_jpeg(data, image, reduction)
        if decoded is not None:
            return decoded
        full_size = image.size
        if reduction > 1:
            image.draft("RGB", (image.width // reduction, image.height // reduction))
        scale = full_size[0] / image.size[0]
        image.load()
        _check_size(image.size, max_pixels)  # an ICO entry may turn out bigger than its header
        if scale == 1.0:
            full_size = image.size
        loaded_size = image.size
        ImageOps.exif_transpose(image, in_place=True)
        width, height = full_size if image.size == loaded_size else full_size[::-1]
        return DecodedImage(_rgb_pixels(image), scale, width, height)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        limit = _megapixels(max_pixels)
        raise ImageError(f"Image is larger than the limit of {limit} megapixels") from None
    except Exception as error:  # Pillow reports broken files as OSError, SyntaxError, ValueError...
        raise ImageError(f"{BROKEN}: {error}") from None


def _jpeg_reduction(image: Image.Image, min_long_side: int) -> int:
    """1, 2, 4 or 8: how much a JPEG is reduced as ``decode_image`` says (1 for other formats, and for 0).
    Pillow's draft, asked for the size divided by it, picks the same DCT scale OpenCV's flag does."""
    reduction = 1
    if image.format == "JPEG" and min_long_side:
        while reduction < 8 and max(image.size) >= 2 * reduction * min_long_side:
            reduction *= 2
    return reduction


def _plain_jpeg(data: bytes, image: Image.Image, reduction: int) -> DecodedImage | None:
    """A colour or grayscale JPEG without EXIF rotation decoded by OpenCV, ``reduction`` times smaller; None for
    other images, and for what OpenCV cannot decode (a truncated file): Pillow says what is wrong."""
    if image.format != "JPEG" or image.mode not in ("RGB", "L") or \
            image.getexif().get(ExifTags.Base.Orientation, 1) != 1:
        return None
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), OPENCV_JPEG_FLAGS[reduction] | cv2.IMREAD_IGNORE_ORIENTATION)
    if bgr is None:
        return None
    width, height = image.size
    pixels = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return DecodedImage(pixels, width / pixels.shape[1], width, height)


def _open(data: bytes) -> Image.Image:
    """Open ``data`` with the first accepted format's plugin; reads the header, not the pixels."""
    for name in FORMATS:
        factory, accept = Image.OPEN[name]
        if accept(data[:16]):
            return factory(io.BytesIO(data), "")
    raise ImageError(f"{BROKEN}: it is not a JPEG, PNG, WebP, BMP, GIF, TIFF or ICO image")


def _check_size(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageError(
            f"Image is {width}x{height} = {_megapixels(width * height)} megapixels, "
            f"more than the limit of {_megapixels(max_pixels)} megapixels"
        )


def _megapixels(pixels: int) -> str:
    return f"{round(pixels / 1e6, 6):g}"


def _rgb_pixels(image: Image.Image) -> np.ndarray:
    """The RGB pixels. ``np.asarray`` makes one copy (Pillow's bytes);
    plain grayscale is copied at one byte a pixel and spread to RGB by OpenCV, three times faster than Pillow."""
    if image.mode == "L" and not image.has_transparency_data:
        return cv2.cvtColor(np.asarray(image), cv2.COLOR_GRAY2RGB)
    return np.asarray(_to_rgb(image))


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB: alpha composited onto white, deep grayscale scaled to 8 bits."""
    if image.mode == "RGB" and not image.has_transparency_data:
        return image  # convert() would copy it
    if image.mode.startswith("I;16"):  # 16-bit grayscale: the full 0..65535 range maps to 0..255
        levels = np.asarray(image, dtype=np.float64) / 257.0
        image = Image.fromarray(np.rint(levels).astype(np.uint8))
    elif image.mode in ("I", "F"):  # 32-bit integer or float, no fixed range: stretch min..max
        values = np.asarray(image, dtype=np.float64)
        low, high = values.min(), values.max()
        scale = 255.0 / (high - low) if high > low else 0.0
        image = Image.fromarray(np.rint((values - low) * scale).astype(np.uint8))
    if image.has_transparency_data:
        image = Image.alpha_composite(Image.new("RGBA", image.size, WHITE), image.convert("RGBA"))
    return image.convert("RGB")
