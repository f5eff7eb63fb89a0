from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.stack import ComposeStack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    """docker-compose.yml under the project name likeness-tests, on the images built here; whatever an
    earlier run left is removed first, and everything (containers, volumes) is removed at the end."""
    running = ComposeStack(tmp_path_factory.mktemp("compose"))
    running.down()
    yield running
    running.down()
