#!/usr/bin/env python3
"""Wait until the database (DATABASE_URL) is migrated to the schema this image's code expects.

The api and admin pods run it as ``likeness-wait-for-schema`` before their server starts, while a
migration Job (``likeness db upgrade``) brings the schema up to date: a server never starts on an
old schema. Exits 0 once the schema is current, 1 after ``--timeout`` seconds (the pod then retries).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from sqlalchemy.exc import SQLAlchemyError

from db import migrate

POLL_S = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait (default: %(default)s)")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("likeness-wait-for-schema: DATABASE_URL is not set", file=sys.stderr)
        return 1
    wanted = migrate.head()
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            revision = migrate.current(url)
            state = f"the schema is at revision {revision}"
        except SQLAlchemyError as error:
            revision = None
            state = f"the database is not reachable ({type(error).__name__}: {str(error).splitlines()[0]})"
        if revision == wanted:
            print(f"likeness-wait-for-schema: the schema is current ({wanted})")
            return 0
        if time.monotonic() >= deadline:
            print(f"likeness-wait-for-schema: gave up after {args.timeout:g} s: {state}, "
                  f"not {wanted} (has `likeness db upgrade` run?)", file=sys.stderr)
            return 1
        print(f"likeness-wait-for-schema: waiting: {state}, not {wanted}", flush=True)
        time.sleep(max(0.0, min(POLL_S, deadline - time.monotonic())))


if __name__ == "__main__":
    sys.exit(main())
