"""`python -m tests.support.pg_available URL`: exit 0 when a PostgreSQL server answers there."""

from __future__ import annotations

import sys

import psycopg

from tests.support.database import libpq


def main(url: str) -> int:
    try:
        with psycopg.connect(libpq(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        print(f"PostgreSQL is not reachable at {url}: {str(exc).strip().splitlines()[0]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
