"""Bad input gets INVALID_ARGUMENT with a readable message, and the server keeps serving."""

from __future__ import annotations

import io

import grpc
import pytest
from PIL import Image

from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR

FACE = (DATA_DIR / "group-photos" / "insightface_t1.jpg").read_bytes()


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


def _invalid(core: CoreProcess, image: bytes, **options: object) -> str:
    with pytest.raises(grpc.RpcError) as raised:
        core.process_image(image, **options)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT, raised.value.details()
    return raised.value.details()


@pytest.mark.parametrize("image, words", [
    (b"", "empty"),
    (b"name,age\nalice,30\n", "format"),
    (FACE[: len(FACE) // 2], "broken"),
], ids=["empty", "text", "truncated-jpeg"])
def test_unusable_images_are_refused(core: CoreProcess, image: bytes, words: str) -> None:
    assert words in _invalid(core, image).lower()


def test_decompression_bomb_is_refused_quickly(core: CoreProcess) -> None:
    bomb = _png(10_000, 6_000)
    assert len(bomb) < 100_000
    assert "megapixels" in _invalid(core, bomb)


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_outside_unit_interval(core: CoreProcess, threshold: float) -> None:
    assert "det_prob_threshold" in _invalid(core, FACE, det_prob_threshold=threshold)


def test_negative_limit(core: CoreProcess) -> None:
    assert "limit" in _invalid(core, FACE, limit=-1).lower()


def test_unknown_plugins_are_ignored(core: CoreProcess) -> None:
    response = core.process_image(FACE, face_plugins=["calculator", "no_such_plugin"])
    assert len(response.faces) == 6 and len(response.faces[0].embedding) == 512
    assert "no_such_plugin" not in response.plugins_versions


def test_server_still_serves_after_bad_input(core: CoreProcess) -> None:
    for image in (b"", b"\x00" * 10, _png(10_000, 6_000)):
        with pytest.raises(grpc.RpcError):
            core.process_image(image)
    assert core.process.poll() is None
    assert len(core.process_image(FACE).faces) == 6


def test_one_pixel_image_has_no_face(core: CoreProcess) -> None:
    assert core.process_image(_png(1, 1)).faces == []
