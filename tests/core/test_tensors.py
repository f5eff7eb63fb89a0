"""Model input tensors: the same values as normalising a float copy of the pixels and transposing it."""

import numpy as np
import pytest

from core.tensors import nchw_float32

PIXELS = np.random.default_rng(0).integers(0, 256, (3, 40, 56, 3), dtype=np.uint8)
PER_CHANNEL_MEAN = np.array([122.782, 117.001, 104.298], dtype=np.float32)
PER_CHANNEL_SCALE = 1 / np.array([58.395, 57.12, 57.375], dtype=np.float32)


@pytest.mark.parametrize("mean, scale", [(0.0, 1.0), (127.5, 1 / 128), (PER_CHANNEL_MEAN, PER_CHANNEL_SCALE)])
def test_the_tensor_holds_the_normalised_pixels_channel_first(mean, scale) -> None:
    expected = ((PIXELS.astype(np.float32) - np.float32(mean)) * np.float32(scale)).transpose(0, 3, 1, 2)
    tensor = nchw_float32(PIXELS, mean, scale)
    assert tensor.dtype == np.float32 and tensor.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(tensor, expected)


def test_a_reversed_channel_view_is_read_as_it_looks() -> None:
    """YuNet and BGR recognizers pass the RGB pixels with their channels reversed."""
    tensor = nchw_float32(PIXELS[..., ::-1])
    np.testing.assert_array_equal(tensor[:, 0], PIXELS[..., 2])
    np.testing.assert_array_equal(tensor[:, 2], PIXELS[..., 0])
