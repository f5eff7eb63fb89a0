"""Where the project and the shared models and data are."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED = PROJECT_ROOT.parent / "shared"
MODELS_DIR = SHARED / "models"
DATA_DIR = SHARED / "data"
