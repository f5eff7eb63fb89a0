#!/usr/bin/env python3
"""Fill MODELS_DIR with the files of the model pack (MODEL_PACK), fetching the missing ones, then exit.

The core image runs it as ``likeness-fetch-models``: at build time when asked
(``--build-arg FETCH_MODELS=true``), in the compose file's one-shot ``models`` service and in the
Kubernetes ``models`` Job, so that core servers can mount the folder read-only. It reads the
core's own settings (MODEL_PACK, MODELS_DIR, FETCH_MISSING_MODELS), prints where each model is
or why it is not, and exits with 1 when the detector or the recognizer is unavailable (a missing
plugin model only disables that plugin).
"""

from __future__ import annotations

import sys

from common.config import load_settings
from common.logs import configure_logging
from core.model_fetch import ensure_models
from core.model_pack import PackError, load_pack
from core.settings import CoreSettings

REQUIRED_ROLES = ("detector", "calculator")


def main() -> int:
    settings = load_settings(CoreSettings)
    configure_logging("models", settings.log_level, settings.log_format)
    try:
        pack = load_pack(settings.model_pack)
        found = ensure_models(pack, settings.models_dir, settings.fetch_missing_models)
    except PackError as error:
        print(f"models: {error}", file=sys.stderr)
        return 1
    for role, where in found.items():
        print(f"{role}: {where}")
    missing = [role for role in REQUIRED_ROLES if isinstance(found[role], str)]
    if missing:
        print(f"models: pack {pack.name!r} cannot run without its {' and '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
