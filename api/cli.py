"""The ``likeness`` command: set up an installation without the web UI.

    likeness db upgrade
    likeness service create --type recognition|detection|verification --name NAME [--app APP]
    likeness import --key API_KEY [--url http://localhost:8000] [--workers 4] FOLDER_OR_ZIP

The database is DATABASE_URL, or the embedded server under var/pgdata when that is unset.
``service create`` prints the new service's API key as its last line. ``import`` enrols a folder
of ``<subject>/<image>`` files (or a zip of one) through a running api server.
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from pathlib import Path

from sqlalchemy import func, select
from tqdm import tqdm

from api.bulk_import import StateFile, image_files, import_folder
from sqlalchemy.exc import IntegrityError, OperationalError

from db import migrate
from db.engine import database_url, make_engine, make_sessions
from db.models import Application, Service, ServiceType

NAME_LENGTH = Service.__table__.c.name.type.length


class CliError(Exception):
    """A failure explained to the user: printed to stderr, exit status 1."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: the process's arguments); the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.run is _import:
            return _import(args)
        return args.run(args, database_url(os.environ.get("DATABASE_URL")))
    except CliError as error:
        print(f"likeness: {error}", file=sys.stderr)
    except OperationalError as error:
        print(f"likeness: cannot use the database: {error.orig}", file=sys.stderr)
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="likeness", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="the database").add_subparsers(required=True, metavar="ACTION")
    db.add_parser("upgrade", help="migrate the schema to the newest revision").set_defaults(run=_db_upgrade)

    service = commands.add_parser("service", help="face services").add_subparsers(required=True, metavar="ACTION")
    create = service.add_parser("create", help="create a service and print its API key")
    create.add_argument("--type", required=True, type=str.lower, choices=[kind.lower() for kind in ServiceType])
    create.add_argument("--name", required=True)
    create.add_argument("--app", default="Default", help="its application, created when missing (default: Default)")
    create.set_defaults(run=_create_service)

    bulk = commands.add_parser("import", help="enrol a folder of <subject>/<image> files (or a zip of one)")
    bulk.add_argument("source", type=Path, help="folder or zip laid out as <subject>/<image>")
    bulk.add_argument("--key", required=True, help="API key of the recognition service")
    bulk.add_argument("--url", default="http://localhost:8000", help="the api server (default: %(default)s)")
    bulk.add_argument("--workers", type=int, default=4, help="files sent at once (default: %(default)s)")
    bulk.add_argument("--state", type=Path, help="what was imported (default: SOURCE.likeness-import.json)")
    bulk.set_defaults(run=_import)
    return parser


def _import(args: argparse.Namespace) -> int:
    source = args.source.resolve()
    try:
        files = len(image_files(source))
    except (FileNotFoundError, zipfile.BadZipFile) as error:
        raise CliError(str(error)) from None
    state = StateFile(args.state or source.with_name(source.name + ".likeness-import.json"))
    with tqdm(total=files, unit="image", desc="Importing") as bar:
        report = import_folder(source, args.url, args.key, state, max(1, args.workers), progress=bar.update)
    for name, reason in sorted(report.failed.items()):
        print(f"  {name}: {reason}")
    print(report.summary())
    return 0 if not report.failed else 2


def _db_upgrade(args: argparse.Namespace, url: str) -> int:
    migrate.upgrade(url)
    print(f"The database schema is at revision {migrate.current(url)}.")
    return 0


def _create_service(args: argparse.Namespace, url: str) -> int:
    name, app_name = args.name.strip(), args.app.strip()
    if not 0 < len(name) <= NAME_LENGTH or not 0 < len(app_name) <= NAME_LENGTH:
        raise CliError(f"service and application names take 1 to {NAME_LENGTH} characters")
    if (revision := migrate.current(url)) != migrate.head():
        raise CliError(f"the database schema is at revision {revision}, not {migrate.head()}: "
                       "run `likeness db upgrade` first")
    engine = make_engine(url)
    try:
        with make_sessions(engine).begin() as session:
            application = session.scalar(select(Application).where(Application.name == app_name))
            created_application = application is None
            if created_application:
                application = Application(name=app_name)
                session.add(application)
                session.flush()
            taken = select(Service.id).where(Service.app_id == application.id, func.lower(Service.name) == name.lower())
            if session.scalar(taken) is not None:
                raise CliError(f'application "{app_name}" already has a service named "{name}"')
            service = Service(app_id=application.id, name=name, type=ServiceType[args.type.upper()])
            session.add(service)
            session.flush()
            api_key = service.api_key
    except IntegrityError as error:  # a concurrent change took the name
        raise CliError(f"could not create the service: {error.orig}") from None
    finally:
        engine.dispose()
    if created_application:
        print(f'Created application "{app_name}".')
    print(f'Created {args.type} service "{name}" in application "{app_name}"; its API key:')
    print(api_key)
    return 0
