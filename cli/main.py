"""The ``likeness`` command: set up and run an installation without the web UI.

    likeness db upgrade
    likeness user create --email EMAIL [--role ROLE]       (password on standard input or prompted)
    likeness user reset-password --email EMAIL              (no mail server needed)
    likeness user list
    likeness app create --name NAME | likeness app list
    likeness service create --type recognition|detection|verification --name NAME [--app APP]
    likeness service list [--app APP]
    likeness service key|regenerate-key --name NAME [--app APP]
    likeness import --key API_KEY [--url http://localhost:8000] [--workers 4] FOLDER_OR_ZIP

The database is DATABASE_URL, or the embedded server under var/pgdata when that is unset. The
commands act with the rights of the installation's owner, through the same functions as the
admin service. ``service create`` and the key commands print the API key as their last line.
``import`` enrols a folder of ``<subject>/<image>`` files (or a zip of one) through a running api
server; it exits with 2 when some files could not be enrolled.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from tqdm import tqdm

from admin import accounts, applications, services
from admin.permissions import CONSOLE
from cli.bulk_import import StateFile, image_files, import_folder
from common.errors import ApiError
from db import migrate
from db.engine import database_url, make_engine, make_sessions
from db.models import Application, GlobalRole, Service, ServiceType


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

    user = commands.add_parser("user", help="user accounts").add_subparsers(required=True, metavar="ACTION")
    create_user = user.add_parser("create", help="create a user (password on standard input, or prompted)")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--role", type=str.upper, choices=list(GlobalRole),
                             help="global role (default: OWNER for the first user, else USER)")
    create_user.add_argument("--first-name", default="")
    create_user.add_argument("--last-name", default="")
    create_user.set_defaults(run=_create_user)
    reset = user.add_parser("reset-password", help="set a new password and end the user's sessions")
    reset.add_argument("--email", required=True)
    reset.set_defaults(run=_reset_password)
    user.add_parser("list", help="every user with their global role").set_defaults(run=_list_users)

    app = commands.add_parser("app", help="applications").add_subparsers(required=True, metavar="ACTION")
    create_app = app.add_parser("create", help="create an application")
    create_app.add_argument("--name", required=True)
    create_app.set_defaults(run=_create_app)
    app.add_parser("list", help="every application").set_defaults(run=_list_apps)

    service = commands.add_parser("service", help="face services").add_subparsers(required=True, metavar="ACTION")
    create = service.add_parser("create", help="create a service and print its API key")
    create.add_argument("--type", required=True, type=str.lower, choices=[kind.lower() for kind in ServiceType])
    create.add_argument("--name", required=True)
    create.add_argument("--app", default="Default", help="its application, created when missing (default: Default)")
    create.set_defaults(run=_create_service)
    listing = service.add_parser("list", help="services with their application, type and key")
    listing.add_argument("--app", help="only this application's")
    listing.set_defaults(run=_list_services)
    for action, run, text in (("key", _show_key, "print a service's API key"),
                              ("regenerate-key", _regenerate_key, "give a service a new API key and print it")):
        command = service.add_parser(action, help=text)
        command.add_argument("--name", required=True)
        command.add_argument("--app", default="Default")
        command.set_defaults(run=run)
    settings = service.add_parser("settings", help="show a recognition service's settings, or change the ones given")
    settings.add_argument("--name", required=True)
    settings.add_argument("--app", default="Default")
    settings.add_argument("--similarity-threshold", metavar="NUMBER|auto|default",
                          help="used by recognize when a request gives none; auto keeps strangers named at the "
                               "stranger target; default: none, as CompreFace")
    settings.add_argument("--stranger-target", metavar="SHARE",
                          help="the per-search chance of naming a stranger that auto keeps to (default 0.01)")
    settings.add_argument("--min-quality", metavar="NUMBER|default",
                          help="faces below it are refused at enrolment; 0: no gate; default: the pack's level")
    settings.set_defaults(run=_service_settings)

    bulk = commands.add_parser("import", help="enrol a folder of <subject>/<image> files (or a zip of one)")
    bulk.add_argument("source", type=Path, help="folder or zip laid out as <subject>/<image>")
    bulk.add_argument("--key", required=True, help="API key of the recognition service")
    bulk.add_argument("--url", default="http://localhost:8000", help="the api server (default: %(default)s)")
    bulk.add_argument("--workers", type=int, default=4, help="files sent at once (default: %(default)s)")
    bulk.add_argument("--state", type=Path, help="what was imported (default: SOURCE.likeness-import.json)")
    bulk.set_defaults(run=_import)
    return parser


def _db_upgrade(args: argparse.Namespace, url: str) -> int:
    migrate.upgrade(url)
    print(f"The database schema is at revision {migrate.current(url)}.")
    return 0


@contextmanager
def _transaction(url: str) -> Iterator[Session]:
    """A transaction on an up-to-date schema; the admin domain's refusals become CliErrors."""
    if (revision := migrate.current(url)) != migrate.head():
        raise CliError(f"the database schema is at revision {revision}, not {migrate.head()}: "
                       "run `likeness db upgrade` first")
    engine = make_engine(url)
    try:
        with make_sessions(engine).begin() as session:
            yield session
    except ApiError as error:
        raise CliError(error.message) from None
    except IntegrityError as error:  # a concurrent change took the name
        raise CliError(f"could not save the change: {error.orig}") from None
    finally:
        engine.dispose()


def _password() -> str:
    """The new password: prompted for on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\n")


def _create_user(args: argparse.Namespace, url: str) -> int:
    with _transaction(url) as session:
        user = accounts.create_user(session, args.email, _password(), args.first_name, args.last_name,
                                    GlobalRole(args.role) if args.role else None)
        print(f"Created user {user.email} ({user.global_role}).")
    return 0


def _reset_password(args: argparse.Namespace, url: str) -> int:
    with _transaction(url) as session:
        user = accounts.reset_password(session, args.email, _password())
        print(f"New password set for {user.email}; their sessions were ended.")
    return 0


def _list_users(args: argparse.Namespace, url: str) -> int:
    with _transaction(url) as session:
        for user in accounts.list_users(session, CONSOLE):
            print(f"{user.email}\t{user.global_role}\t{user.first_name} {user.last_name}".rstrip())
    return 0


def _create_app(args: argparse.Namespace, url: str) -> int:
    with _transaction(url) as session:
        print(f'Created application "{applications.create_app(session, CONSOLE, args.name).app.name}".')
    return 0


def _list_apps(args: argparse.Namespace, url: str) -> int:
    with _transaction(url) as session:
        for access in applications.list_apps(session, CONSOLE):
            print(access.app.name)
    return 0


def _application(session: Session, name: str, create: bool = False) -> Application:
    found = session.scalar(select(Application).where(func.lower(Application.name) == name.strip().lower()))
    if found is None and create:
        found = applications.create_app(session, CONSOLE, name).app
        print(f'Created application "{found.name}".')
    if found is None:
        raise CliError(f'there is no application "{name}"')
    return found


def _service(session: Session, app_name: str, name: str) -> tuple[Application, Service]:
    app = _application(session, app_name)
    found = session.scalar(select(Service).where(Service.app_id == app.id,
                                                 func.lower(Service.name) == name.strip().lower()))
    if found is None:
        raise CliError(f'application "{app.name}" has no service "{name}"')
    return app, found


def _create_service(args: argparse.Namespace, url: str) -> int:
    with _transaction(url) as session:
        app = _application(session, args.app, create=True)
        service = services.create_service(session, CONSOLE, app.guid, args.name, ServiceType[args.type.upper()])
        print(f'Created {args.type} service "{service.name}" in application "{app.name}"; its API key:')
        print(service.api_key)
    return 0


def _list_services(args: argparse.Namespace, url: str) -> int:
    with _transaction(url) as session:
        apps = ([_application(session, args.app)] if args.app
                else [access.app for access in applications.list_apps(session, CONSOLE)])
        for app in apps:
            for service in services.list_services(session, CONSOLE, app.guid):
                print(f"{app.name}\t{service.name}\t{service.type.value.lower()}\t{service.api_key}")
    return 0


def _show_key(args: argparse.Namespace, url: str) -> int:
    with _transaction(url) as session:
        print(_service(session, args.app, args.name)[1].api_key)
    return 0


def _regenerate_key(args: argparse.Namespace, url: str) -> int:
    with _transaction(url) as session:
        app, service = _service(session, args.app, args.name)
        print(services.regenerate_key(session, CONSOLE, app.guid, service.guid).api_key)
    return 0


def _service_settings(args: argparse.Namespace, url: str) -> int:
    changes: dict[str, object] = {}
    for option, field in (("similarity_threshold", "similarityThreshold"), ("stranger_target", "strangerTarget"),
                          ("min_quality", "minQuality")):
        value = getattr(args, option)
        if value is not None:
            changes[field] = None if value.strip().lower() == "default" else value
    with _transaction(url) as session:
        app, service = _service(session, args.app, args.name)
        if changes:
            service = services.update_recognition_settings(session, CONSOLE, app.guid, service.guid, changes)
        elif service.type != ServiceType.RECOGNITION:
            raise CliError("recognition settings apply to recognition services only")
        threshold = service.similarity_threshold or "none"
        minimum = "the pack's level" if service.min_quality is None else service.min_quality
        print(f"similarity threshold: {threshold}\nstranger target: {service.stranger_target}\n"
              f"minimum quality: {minimum}")
    return 0


def _import(args: argparse.Namespace) -> int:
    source = args.source.resolve()
    try:
        files = len(image_files(source))
    except (FileNotFoundError, zipfile.BadZipFile) as error:
        raise CliError(str(error)) from None
    state = StateFile(args.state or source.with_name(source.name + ".likeness-import.json"), args.key)
    with tqdm(total=files, unit="image", desc="Importing") as bar:
        report = import_folder(source, args.url, args.key, state, max(1, args.workers), progress=bar.update)
    for name, reason in sorted(report.failed.items()):
        print(f"  {name}: {reason}")
    print(report.summary())
    return 0 if not report.failed else 2
