"""core.images.decode_image: formats, orientation, modes, broken input, size limits, threads."""

import io
import struct
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from core.images import ImageError, decode_image
from tests.support.paths import DATA_DIR

DATA = DATA_DIR
FACE_JPG = DATA / "lfw-dev/images/AJ_Cook/AJ_Cook_0001.jpg"
GROUP_JPG = DATA / "group-photos/insightface_t1.jpg"
GROUP_PNG = DATA / "group-photos/solvay_conference_1927.png"
LIMIT = 50_000_000


def _pixels(data: bytes, max_pixels: int) -> np.ndarray:
    return decode_image(data, max_pixels).pixels


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def mean_error(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture(scope="module")
def face() -> Image.Image:
    """A real LFW face, cropped to 200 wide x 240 high so that a swapped width/height shows."""
    with Image.open(FACE_JPG) as image:
        return image.convert("RGB").crop((25, 5, 225, 245))


def test_decodes_real_photos_at_their_size():
    for path in (FACE_JPG, GROUP_JPG, GROUP_PNG):
        pixels = _pixels(path.read_bytes(), LIMIT)
        with Image.open(path) as image:
            assert pixels.shape == (image.height, image.width, 3)
            assert mean_error(pixels, np.asarray(image.convert("RGB"))) == 0


@pytest.mark.parametrize(
    "fmt, tolerance",
    [("JPEG", 4), ("PNG", 0), ("WEBP", 4), ("BMP", 0), ("GIF", 12), ("TIFF", 0)],
)
def test_each_format_round_trips(face, fmt, tolerance):
    pixels = _pixels(encode(face, fmt), LIMIT)
    assert pixels.shape == (240, 200, 3)
    assert pixels.dtype == np.uint8 and pixels.flags.c_contiguous
    assert mean_error(pixels, np.asarray(face)) <= tolerance


def test_ico_gives_its_largest_size(face):
    square = face.crop((36, 56, 164, 184))
    icon = encode(square, "ICO", sizes=[(16, 16), (128, 128), (48, 48)])
    pixels = _pixels(icon, LIMIT)
    assert pixels.shape == (128, 128, 3)
    assert mean_error(pixels, np.asarray(square)) == 0


@pytest.mark.parametrize(
    "orientation, stored_as", [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)]
)
def test_exif_orientation_gives_the_image_as_displayed(face, orientation, stored_as):
    exif = Image.Exif()
    exif[0x0112] = orientation  # "rotate to display"; the stored pixels lie on their side
    data = encode(face.transpose(stored_as), "JPEG", quality=95, exif=exif)
    pixels = _pixels(data, LIMIT)
    assert pixels.shape == (240, 200, 3)
    assert mean_error(pixels, np.asarray(face)) < 3


@pytest.mark.parametrize("mode", ["L", "1"])
def test_grayscale_becomes_gray_rgb(face, mode):
    gray = face.convert(mode)
    pixels = _pixels(encode(gray, "PNG"), LIMIT)
    assert pixels.shape == (240, 200, 3)
    assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    assert mean_error(pixels[..., 0], np.asarray(gray.convert("L"))) == 0


def test_palette_with_transparency_shows_transparent_pixels_as_white():
    image = Image.new("P", (40, 30), 0)
    image.putpalette([0, 0, 0, 200, 30, 40])  # index 0 black (transparent), 1 red
    image.paste(1, (0, 0, 20, 30))  # left half red
    pixels = _pixels(encode(image, "PNG", transparency=0), LIMIT)
    assert (pixels[:, :20] == (200, 30, 40)).all()
    assert (pixels[:, 20:] == 255).all()


def test_rgba_is_composited_onto_white():
    rgba = np.zeros((10, 30, 4), np.uint8)  # fully transparent black
    rgba[:, :10] = (0, 0, 255, 255)  # opaque blue
    rgba[:, 10:20] = (0, 0, 0, 128)  # half transparent black
    pixels = _pixels(encode(Image.fromarray(rgba, "RGBA"), "PNG"), LIMIT)
    assert (pixels[:, :10] == (0, 0, 255)).all()
    assert (np.abs(pixels[:, 10:20].astype(int) - 127) <= 1).all()
    assert (pixels[:, 20:] == 255).all()


def test_la_is_composited_onto_white():
    la = np.zeros((10, 20, 2), np.uint8)
    la[:, :10] = (60, 255)  # opaque dark gray; the right half is transparent
    pixels = _pixels(encode(Image.fromarray(la, "LA"), "PNG"), LIMIT)
    assert (pixels[:, :10] == 60).all()
    assert (pixels[:, 10:] == 255).all()


def test_cmyk_jpeg_keeps_its_colours(face):
    pixels = _pixels(encode(face.convert("CMYK"), "JPEG", quality=95), LIMIT)
    assert mean_error(pixels, np.asarray(face)) < 4


def _sixteen_bit(face: Image.Image, container: str) -> bytes:
    levels = np.asarray(face.convert("L")).astype(np.uint16) * 257
    if container == "PNG":
        image = Image.fromarray(levels)
        assert image.mode == "I;16"
    else:  # big-endian 16-bit TIFF
        image = Image.frombytes("I;16B", face.size, levels.astype(">u2").tobytes())
    return encode(image, container)


def _deep(face: Image.Image, mode: str) -> bytes:
    levels = np.asarray(face.convert("L")).astype(np.float64)
    if mode == "I":  # 32-bit integers far above 255
        return encode(Image.fromarray((levels * 1000 + 5000).astype(np.int32)), "TIFF")
    return encode(Image.fromarray((levels / 255).astype(np.float32)), "TIFF")  # floats in 0..1


@pytest.mark.parametrize(
    "data",
    [
        lambda face: _sixteen_bit(face, "PNG"),
        lambda face: _sixteen_bit(face, "TIFF"),
        lambda face: _deep(face, "I"),
        lambda face: _deep(face, "F"),
    ],
    ids=["16-bit PNG", "16-bit big-endian TIFF", "32-bit integer TIFF", "float TIFF"],
)
def test_deep_images_are_scaled_not_clipped(face, data):
    pixels = _pixels(data(face), LIMIT)
    eight_bit = np.asarray(face.convert("L")).astype(np.float64)
    gray = pixels[..., 0].astype(np.float64)
    assert pixels.shape == (240, 200, 3)
    assert 40 < gray.mean() < 215 and (gray == 255).mean() < 0.1  # a face, not a white sheet
    assert np.corrcoef(gray.ravel(), eight_bit.ravel())[0, 1] > 0.99


def test_sixteen_bit_png_keeps_its_brightness(face):
    pixels = _pixels(_sixteen_bit(face, "PNG"), LIMIT)
    assert mean_error(pixels[..., 0], np.asarray(face.convert("L"))) <= 0.5


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (32, 24), colour) for colour in ("red", "lime", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    pixels = _pixels(data, LIMIT)
    assert pixels.shape == (24, 32, 3)
    assert (pixels == (255, 0, 0)).all()


def test_one_pixel_images_decode():
    pixel = Image.new("RGB", (1, 1), (10, 120, 230))
    assert _pixels(encode(pixel, "PNG"), LIMIT).tolist() == [[[10, 120, 230]]]
    assert mean_error(_pixels(encode(pixel, "JPEG"), LIMIT), np.array([[[10, 120, 230]]])) < 4


def test_empty_bytes():
    with pytest.raises(ImageError, match="^Image is empty$"):
        _pixels(b"", LIMIT)


@pytest.mark.parametrize(
    "data",
    [
        b"This is a text file, saved as photo.jpg by mistake.\n",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        b"8BPS\x00\x01" + bytes(40),  # Photoshop
        encode(Image.new("RGB", (20, 20)), "PDF"),
        encode(Image.new("RGB", (20, 20)), "PPM"),  # an image, but not a format we take
        b"\xff\xd8\xff",  # a JPEG signature and nothing else
    ],
    ids=["text", "svg", "psd", "pdf", "ppm", "signature only"],
)
def test_other_files_are_refused(data):
    with pytest.raises(ImageError, match="incorrect format or is broken"):
        _pixels(data, LIMIT)


def test_truncated_jpeg_is_refused():
    data = FACE_JPG.read_bytes()
    with pytest.raises(ImageError, match="incorrect format or is broken.*truncated"):
        _pixels(data[: len(data) // 2], LIMIT)


def test_truncated_png_is_refused(face):
    data = encode(face, "PNG")
    with pytest.raises(ImageError, match="incorrect format or is broken"):
        _pixels(data[: len(data) // 2], LIMIT)


def test_corrupted_png_is_refused(face):
    data = bytearray(encode(face, "PNG"))
    start = data.index(b"IDAT") + 100
    data[start : start + 100] = bytes(b ^ 0xFF for b in data[start : start + 100])
    with pytest.raises(ImageError, match="incorrect format or is broken"):
        _pixels(bytes(data), LIMIT)


def png_claiming_size(width: int, height: int) -> bytes:
    """A 1x1 PNG whose header claims width x height (with a valid header checksum)."""
    data = bytearray(encode(Image.new("1", (1, 1)), "PNG"))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", zlib.crc32(data[ihdr : ihdr + 17]))
    return bytes(data)


def webp_claiming_size(width: int, height: int) -> bytes:
    """A lossy WebP whose frame header claims width x height (up to 16383 each)."""
    data = bytearray(encode(Image.new("RGB", (16, 16)), "WEBP", quality=50))
    assert data[12:16] == b"VP8 "
    data[26:30] = struct.pack("<HH", width, height)
    return bytes(data)


def test_decompression_bomb_is_refused_quickly_and_silently(recwarn, capsys):
    bomb = encode(Image.new("1", (10000, 10000)), "PNG")  # 100 megapixels in a few KB
    assert len(bomb) < 50_000
    started = time.perf_counter()
    with pytest.raises(ImageError) as refused:
        _pixels(bomb, LIMIT)
    assert time.perf_counter() - started < 0.5
    assert str(refused.value) == (
        "Image is 10000x10000 = 100 megapixels, more than the limit of 50 megapixels"
    )
    assert not recwarn.list and capsys.readouterr() == ("", "")


@pytest.mark.parametrize("width, height", [(20000, 20000), (65535, 65535)])
def test_bombs_beyond_pillows_own_limit_name_their_size(recwarn, width, height):
    with pytest.raises(ImageError, match=f"Image is {width}x{height} = .* limit of 50 megapixels"):
        _pixels(png_claiming_size(width, height), LIMIT)
    assert not recwarn.list


def test_webp_bomb_caught_by_pillow_becomes_image_error(recwarn):
    with pytest.raises(ImageError, match="larger than the limit of 50 megapixels"):
        _pixels(webp_claiming_size(16383, 16383), LIMIT)
    assert not recwarn.list


def test_limit_is_inclusive():
    data = encode(Image.new("RGB", (1000, 500), "white"), "PNG")
    assert _pixels(data, max_pixels=500_000).shape == (500, 1000, 3)
    with pytest.raises(ImageError, match="1000x500 = 0.5 megapixels.*limit of 0.499999 megapixels"):
        _pixels(data, max_pixels=499_999)


def test_huge_but_allowed_image_decodes(recwarn):
    image = Image.new("RGB", (8000, 6000), (30, 160, 90))  # 48 megapixels
    pixels = _pixels(encode(image, "JPEG"), LIMIT)
    assert pixels.shape == (6000, 8000, 3)
    assert mean_error(pixels[::100, ::100], np.full((60, 80, 3), (30, 160, 90), np.uint8)) < 3
    assert not recwarn.list


def test_many_threads_decode_at_once(face):
    inputs = [encode(face, fmt) for fmt in ("JPEG", "PNG", "WEBP", "GIF", "TIFF")] * 8
    inputs += [b"", b"not an image"] * 4
    inputs += [png_claiming_size(20000, 20000)] * 4

    def outcome(data: bytes):
        try:
            return _pixels(data, LIMIT).tobytes()
        except ImageError as error:
            return str(error)

    expected = [outcome(data) for data in inputs]
    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(outcome, inputs)) == expected


@pytest.mark.parametrize("orientation", [1, 6])
def test_large_jpeg_is_decoded_reduced_with_its_scale_and_original_size(orientation):
    group = Image.open(GROUP_JPG)
    big = group.resize((group.width * 4, group.height * 4))
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(big, "JPEG", exif=exif, quality=90)
    decoded = decode_image(data, LIMIT, min_long_side=1280)
    assert decoded.scale == 4.0
    displayed = (big.width, big.height) if orientation == 1 else (big.height, big.width)
    assert (decoded.width, decoded.height) == displayed
    assert (decoded.pixels.shape[1] * 4, decoded.pixels.shape[0] * 4) == displayed
    full = decode_image(data, LIMIT)
    assert full.scale == 1.0 and full.pixels.shape[:2] == (displayed[1], displayed[0])


def test_images_below_twice_the_long_side_and_other_formats_are_decoded_full_size():
    group = Image.open(GROUP_JPG)
    assert decode_image(GROUP_JPG.read_bytes(), LIMIT, min_long_side=1280).scale == 1.0
    big_png = encode(group.resize((group.width * 4, group.height * 4)), "PNG")
    decoded = decode_image(big_png, LIMIT, min_long_side=1280)
    assert decoded.scale == 1.0 and decoded.pixels.shape[1] == group.width * 4


@pytest.mark.parametrize("mode, min_long_side", [("RGB", 0), ("L", 0), ("RGB", 1280), ("L", 1280)])
def test_plain_jpegs_give_the_pixels_pillow_gives(mode, min_long_side):
    """Colour and grayscale JPEGs without rotation are decoded by OpenCV: the same pixels, full size or reduced."""
    group = Image.open(GROUP_JPG).convert(mode)
    data = encode(group.resize((group.width * 4, group.height * 4)), "JPEG", quality=90)
    expected = Image.open(io.BytesIO(data))
    if min_long_side:
        expected.draft(mode, (expected.width // 4, expected.height // 4))
    decoded = decode_image(data, LIMIT, min_long_side)
    assert decoded.scale == (4.0 if min_long_side else 1.0)
    np.testing.assert_array_equal(decoded.pixels, np.asarray(expected.convert("RGB")))
