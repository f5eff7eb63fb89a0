"""Which servers run with glibc's mmap threshold fixed (runner.allocator), as `make run` and the images start them."""

from runner.allocator import FIXED_MMAP_THRESHOLD
from runner.gunicorn import server_environment


def test_the_api_holds_uploads_and_runs_with_the_threshold_fixed_admin_does_not() -> None:
    assert server_environment("api", {"PORT": "8080"}) == {"GLIBC_TUNABLES": FIXED_MMAP_THRESHOLD, "PORT": "8080"}
    assert "GLIBC_TUNABLES" not in server_environment("admin", {"PORT": "8081"})


def test_a_value_in_the_environment_wins() -> None:
    assert server_environment("api", {"GLIBC_TUNABLES": "glibc.malloc.arena_max=1"})["GLIBC_TUNABLES"] == \
        "glibc.malloc.arena_max=1"
