"""glibc's allocator settings for the platform's processes.

The processes `make run` starts, and the core, api and admin images: at most two memory arenas (MALLOC_ARENA_MAX).
glibc gives each thread an arena (up to 8 per CPU) that keeps what it freed: with many request threads and
image-sized buffers, resident memory then crept up for tens of minutes. Two arenas keep it flat (bench/soak.py) at
no measurable cost in speed.

The processes that hold uploads whole, nginx and the api servers: a fixed mmap threshold. Such a process holds each
upload in a buffer of up to the size limit (in nginx, client_body_buffer_size and a quarter; in the api, the body,
the image read from it and the message to core). glibc maps a block that large from the system and unmaps it when
freed, but then raises its threshold to the freed size, so later buffers come from the heap, which fragments and
keeps the largest set of uploads ever in flight at once: nginx's and the api's memory crept up for many minutes
under load (bench/soak.py; the api's by 15 % in 30 minutes, none of it Python objects). A threshold set explicitly
stays where it is: every block above 128 KB is returned as soon as its request ends. Measured with uploads like the
soak's: nginx flat at 5.1 MB where it crept from 7.0 to 7.8 MB, for 0.14 ms more of its CPU per upload of half a
megabyte (the fresh pages are zeroed); the api flat at 117 MB with no request in flight, where it crept from 130 to
150 MB, for 0.5 to 2 ms more of its CPU per detection in a mix of portraits and 0.4 to 0.8 MB photos (4 to 6 ms
against 4), the cost of its several copies of each upload. Not for core: its image-sized arrays and tensors, mapped
afresh for every request, cost it 10 to 15 % more CPU per face.
"""

from __future__ import annotations

from collections.abc import Mapping

TWO_ARENAS = {"MALLOC_ARENA_MAX": "2"}
FIXED_MMAP_THRESHOLD = "glibc.malloc.mmap_threshold=131072"


def with_fixed_mmap_threshold(environment: Mapping[str, str]) -> dict[str, str]:
    """``environment`` with glibc's threshold for mapping large blocks fixed at 128 KB (a value given wins)."""
    return {"GLIBC_TUNABLES": FIXED_MMAP_THRESHOLD, **environment}
