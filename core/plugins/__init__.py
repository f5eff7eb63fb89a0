"""Face plugins (CompreFace's ``face_plugins``): which ones a model pack makes available."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.model_pack import ModelPack
from core.plugins.age_gender import AgePlugin, GenderPlugin
from core.plugins.base import FacePlugin
from core.plugins.landmarks106 import Landmarks106Plugin
from core.plugins.liveness import LivenessPlugin
from core.plugins.mask import MaskPlugin
from core.plugins.pose import PosePlugin
from core.plugins.quality import QualityPlugin
from core.runtime import SessionFactory

MODEL_PLUGINS: dict[str, Callable[..., FacePlugin]] = {
    plugin.slug: plugin
    for plugin in (Landmarks106Plugin, AgePlugin, GenderPlugin, MaskPlugin, QualityPlugin, LivenessPlugin)
}


def build_plugins(pack: ModelPack, model_paths: dict[str, Path | str],
                  sessions: SessionFactory) -> tuple[dict[str, FacePlugin], dict[str, str]]:
    """(available plugins by slug, unavailable slug -> reason) for the pack's plugins, plus pose.

    ``model_paths`` maps a plugin slug (and ``<slug>.<companion>``) to its verified model file, or to
    the reason it is absent. A plugin with companion files gets them as ``companions``.
    """
    available: dict[str, FacePlugin] = {PosePlugin.slug: PosePlugin()}
    unavailable: dict[str, str] = {}
    for slug, spec in pack.plugins.items():
        if slug == PosePlugin.slug:
            continue
        plugin_class = MODEL_PLUGINS.get(slug)
        roles = [slug, *(f"{slug}.{name}" for name in spec.companions)]
        paths = {role: model_paths.get(role, f"no model file was given for {role!r}") for role in roles}
        missing = [reason for reason in paths.values() if isinstance(reason, str)]
        if plugin_class is None:
            unavailable[slug] = f"no plugin implements {slug!r}"
        elif missing:
            unavailable[slug] = "; ".join(missing)
        elif spec.companions:
            companions = {name: paths[f"{slug}.{name}"] for name in spec.companions}
            available[slug] = plugin_class(spec, paths[slug], sessions, companions=companions)
        else:
            available[slug] = plugin_class(spec, paths[slug], sessions)
    return available, unavailable


__all__ = ["FacePlugin", "build_plugins"]
