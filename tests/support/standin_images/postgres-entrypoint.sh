#!/bin/sh
# The stand-in PostgreSQL's entry point: on first start (an empty PGDATA) create the cluster with
# POSTGRES_USER (default postgres) and POSTGRES_PASSWORD, listening on every address with password
# authentication, and the database POSTGRES_DB (default: the user's name); then run the command.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?the stand-in PostgreSQL needs POSTGRES_PASSWORD}"
    user="${POSTGRES_USER:-postgres}"
    database="${POSTGRES_DB:-$user}"
    password_file="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" > "$password_file"
    initdb --username="$user" --pwfile="$password_file" --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --pgdata="$PGDATA"
    rm -f "$password_file"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    if [ "$database" != postgres ]; then
        # A private socket: health checks (pg_isready) see no server until the real one starts.
        pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses='' -c unix_socket_directories=/tmp" --wait start
        createdb --host=/tmp --username="$user" "$database"
        pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop
    fi
fi
exec "$@"
