"""The ``likeness`` console command, run as a real process against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import migrate
from db.engine import make_engine, make_sessions
from db.models import Application, Service, ServiceType, User

LIKENESS = Path(sys.executable).parent / "likeness"


def likeness(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LIKENESS), *args], env={**os.environ, "DATABASE_URL": database_url},
                          capture_output=True, text=True, timeout=60)


def test_upgrade_then_create_a_service(empty_db_url: str) -> None:
    before = likeness(empty_db_url, "service", "create", "--type", "recognition", "--name", "x")
    assert before.returncode == 1 and "likeness db upgrade" in before.stderr

    upgraded = likeness(empty_db_url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"revision {migrate.head()}" in upgraded.stdout

    created = likeness(empty_db_url, "service", "create", "--type", "recognition", "--name", "x")
    assert created.returncode == 0, created.stderr
    api_key = uuid.UUID(created.stdout.splitlines()[-1])

    engine = make_engine(empty_db_url)
    try:
        with make_sessions(engine)() as session:
            service = session.scalar(select(Service).where(Service.api_key == api_key))
            assert (service.name, service.type, service.application.name) == ("x", ServiceType.RECOGNITION,
                                                                              "Default")
    finally:
        engine.dispose()


def test_services_join_an_existing_application(db_url: str, sessions: sessionmaker[Session]) -> None:
    for name, kind in (("find", "recognition"), ("spot", "DETECTION"), ("check", "verification")):
        created = likeness(db_url, "service", "create", "--type", kind, "--name", name, "--app", "Shop")
        assert created.returncode == 0, created.stderr
    with sessions() as session:
        [application] = session.scalars(select(Application)).all()
        assert sorted((service.name, service.type) for service in application.services) == [
            ("check", ServiceType.VERIFICATION), ("find", ServiceType.RECOGNITION), ("spot", ServiceType.DETECTION)]


def test_a_duplicate_name_is_refused(db_url: str) -> None:
    assert likeness(db_url, "service", "create", "--type", "detection", "--name", "Doors").returncode == 0
    duplicate = likeness(db_url, "service", "create", "--type", "recognition", "--name", "doors")
    assert duplicate.returncode == 1
    assert "Name doors is not unique" in duplicate.stderr
    assert duplicate.stdout == ""


def test_a_bad_type_is_refused(db_url: str) -> None:
    bad = likeness(db_url, "service", "create", "--type", "identification", "--name", "x")
    assert bad.returncode == 2
    assert "invalid choice: 'identification'" in bad.stderr


def _with_input(database_url: str, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LIKENESS), *args], env={**os.environ, "DATABASE_URL": database_url},
                          input=text, capture_output=True, text=True, timeout=60)


def test_users_without_a_mail_server(db_url: str, sessions: sessionmaker[Session]) -> None:
    first = _with_input(db_url, "first-password\n", "user", "create", "--email", "Owner@Example.com")
    assert first.returncode == 0 and "OWNER" in first.stdout, first.stderr
    second = _with_input(db_url, "second-password\n", "user", "create", "--email", "ann@example.com")
    assert "USER" in second.stdout
    assert _with_input(db_url, "short\n", "user", "create", "--email", "bob@example.com").returncode == 1
    listed = likeness(db_url, "user", "list").stdout.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [["ann@example.com", "USER"], ["owner@example.com", "OWNER"]]

    with sessions() as session:
        before = session.scalar(select(User.password_hash).where(User.email == "ann@example.com"))
    reset = _with_input(db_url, "a-new-password\n", "user", "reset-password", "--email", "ann@example.com")
    assert reset.returncode == 0, reset.stderr
    with sessions() as session:
        after = session.scalar(select(User.password_hash).where(User.email == "ann@example.com"))
    assert after != before and "a-new-password" not in after
    missing = _with_input(db_url, "whatever-password\n", "user", "reset-password", "--email", "nobody@example.com")
    assert missing.returncode == 1


def test_applications_and_service_keys(db_url: str) -> None:
    assert likeness(db_url, "app", "create", "--name", "Shop").returncode == 0
    assert likeness(db_url, "app", "create", "--name", "Shop").returncode == 1
    created = likeness(db_url, "service", "create", "--type", "verification", "--name", "Door", "--app", "Shop")
    key = created.stdout.splitlines()[-1]
    assert likeness(db_url, "app", "list").stdout.split() == ["Shop"]
    assert likeness(db_url, "service", "list").stdout.strip() == f"Shop\tDoor\tverification\t{key}"
    assert likeness(db_url, "service", "key", "--app", "shop", "--name", "door").stdout.strip() == key
    regenerated = likeness(db_url, "service", "regenerate-key", "--app", "Shop", "--name", "Door").stdout.strip()
    assert uuid.UUID(regenerated) and regenerated != key
    assert likeness(db_url, "service", "key", "--app", "Shop", "--name", "Door").stdout.strip() == regenerated
    unknown = likeness(db_url, "service", "key", "--app", "Shop", "--name", "Window")
    assert unknown.returncode == 1 and "no service" in unknown.stderr
