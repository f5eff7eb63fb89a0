# Local stand-in for postgres:16-alpine (no registry here): Debian's PostgreSQL 15 with the official
# image's interface: POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB create the cluster on first start,
# the data lives in the volume /var/lib/postgresql/data, pg_isready answers the health check.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
# Without the cluster Debian's package creates: the entry point makes one in PGDATA.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql \
    && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 /etc/postgresql/15 \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
    && chmod 700 /var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["postgres-entrypoint"]
CMD ["postgres"]
