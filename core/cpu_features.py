"""What the CPU can do that matters for inference speed: AVX2, int8 dot products (VNNI, AMX), bfloat16 (AVX512-BF16, AMX)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

# /proc/cpuinfo flag names of the features the backend choice and the benchmarks care about.
INFERENCE_FEATURES = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")
BF16_FEATURES = ("avx512_bf16", "amx_bf16")
INT8_FEATURES = ("avx512_vnni", "avx_vnni", "amx_int8")


@cache
def cpu_flags() -> frozenset[str]:
    """The CPU's flags as Linux reports them; empty where /proc/cpuinfo is absent."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        return frozenset()
    for line in cpuinfo.read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def inference_features(flags: frozenset[str] | None = None) -> list[str]:
    """The inference-relevant features present, in INFERENCE_FEATURES order."""
    present = cpu_flags() if flags is None else flags
    return [feature for feature in INFERENCE_FEATURES if feature in present]


def has_native_bf16(flags: frozenset[str] | None = None) -> bool:
    """Whether the CPU computes in bfloat16 natively (AVX512-BF16 or AMX), so bf16 inference pays off."""
    present = cpu_flags() if flags is None else flags
    return any(feature in present for feature in BF16_FEATURES)


def has_native_int8(flags: frozenset[str] | None = None) -> bool:
    """Whether the CPU has int8 dot-product instructions (VNNI or AMX), so int8 inference pays off."""
    present = cpu_flags() if flags is None else flags
    return any(feature in present for feature in INT8_FEATURES)
