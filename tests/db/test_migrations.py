"""The migrations build exactly the schema of db/models.py, and undo it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from db import migrate
from db.engine import make_engine
from db.models import Base

TABLES = {"users", "applications", "app_members", "services", "subjects", "faces", "stored_images",
          "request_counts", "admin_sessions", "sign_in_failures", "password_links", "installation"}


def _schema(url: str) -> dict[str, object]:
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        tables = set(inspector.get_table_names()) - {"alembic_version"}
        return {
            "tables": tables,
            "indexes": {(table, index["name"], bool(index["unique"]), tuple(index["column_names"]),
                         tuple(index.get("expressions") or ()))
                        for table in tables for index in inspector.get_indexes(table)},
            "enums": {enum["name"]: tuple(enum["labels"]) for enum in inspector.get_enums()},
        }
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_index_and_enum(empty_db_url: str) -> None:
    assert migrate.current(empty_db_url) is None
    migrate.upgrade(empty_db_url)
    assert migrate.current(empty_db_url) == migrate.head()

    schema = _schema(empty_db_url)
    assert schema["tables"] == TABLES
    indexes = {name: (table, unique, expressions) for table, name, unique, _, expressions in schema["indexes"]}
    assert indexes["users_email_lower"] == ("users", True, ("lower(email::text)",))
    assert indexes["subjects_service_name_lower"] == ("subjects", True, ("service_id", "lower(name::text)"))
    assert indexes["services_app_name_lower"] == ("services", True, ("app_id", "lower(name::text)"))
    assert {"ix_faces_service_id", "ix_faces_subject_id", "ix_app_members_user_id"} <= indexes.keys()
    assert schema["enums"] == {"global_role": ("OWNER", "ADMINISTRATOR", "USER"),
                               "app_role": ("OWNER", "ADMINISTRATOR", "USER"),
                               "service_type": ("RECOGNITION", "DETECTION", "VERIFICATION")}


def test_foreign_keys_cascade_on_delete(engine: Engine) -> None:
    inspector = inspect(engine)
    foreign_keys = [(table, key["referred_table"], key["options"].get("ondelete"))
                    for table in TABLES for key in inspector.get_foreign_keys(table)]
    assert len(foreign_keys) == 10
    assert all(ondelete == "CASCADE" for _, _, ondelete in foreign_keys), foreign_keys


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    before = _schema(db_url)
    migrate.downgrade(db_url, "base")
    assert migrate.current(db_url) is None
    assert _schema(db_url) == {"tables": set(), "indexes": set(), "enums": {}}
    migrate.upgrade(db_url)
    assert _schema(db_url) == before


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def test_models_match_the_migrated_schema(engine: Engine) -> None:
    assert _differences(engine) == []


def test_the_comparison_sees_functional_indexes_and_types(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX subjects_service_name_lower"))
        connection.execute(text("ALTER TABLE faces ALTER COLUMN calculator TYPE varchar(100)"))
    differences = repr(_differences(engine))
    assert "subjects_service_name_lower" in differences and "calculator" in differences


def test_every_earlier_revision_upgrades_to_head(db_url: str) -> None:
    revisions = [script.revision for script in
                 ScriptDirectory.from_config(Config(str(migrate.ALEMBIC_INI))).walk_revisions("base", "heads")]
    expected = _schema(db_url)
    for revision in revisions:
        migrate.downgrade(db_url, "base")
        migrate.upgrade(db_url, revision)
        assert migrate.current(db_url) == revision
        migrate.upgrade(db_url)
        assert _schema(db_url) == expected, f"upgrading from {revision} gives another schema"
