"""The committed gRPC stubs are what `make proto` generates from proto/core.proto."""

from __future__ import annotations

import shutil

from grpc_tools import protoc

from tests.support.paths import PROJECT_ROOT


def test_generated_stubs_are_current(tmp_path) -> None:
    (tmp_path / "proto").mkdir()
    shutil.copy(PROJECT_ROOT / "proto" / "core.proto", tmp_path / "proto" / "core.proto")
    status = protoc.main(["protoc", f"-I{tmp_path}", f"--python_out={tmp_path}", f"--pyi_out={tmp_path}",
                          f"--grpc_python_out={tmp_path}", str(tmp_path / "proto" / "core.proto")])
    assert status == 0
    for name in ("core_pb2.py", "core_pb2.pyi", "core_pb2_grpc.py"):
        generated = (tmp_path / "proto" / name).read_text()
        committed = (PROJECT_ROOT / "proto" / name).read_text()
        assert committed == generated, f"proto/{name} is stale: run `make proto`"
