"""Where the project and the shared models and data are."""

from pathlib import Path

from common.config import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared"
MODELS_DIR = SHARED / "models"
DATA_DIR = SHARED / "data"
LFW_IMAGES = DATA_DIR / "lfw-dev" / "images"


def lfw_image(name: str, number: int) -> Path:
    """The LFW dev set's ``number``-th photo of ``name`` (e.g. ``lfw_image("Jacques_Chirac", 1)``)."""
    return LFW_IMAGES / name / f"{name}_{number:04d}.jpg"
