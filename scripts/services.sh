#!/usr/bin/env bash
# Starts the local PostgreSQL the tests use when it is not answering. The PostgreSQL tests are
# part of the suite, not optional: if the server cannot be reached, this fails loudly.
set -u
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
fi
if ! pg_up; then
  echo "services: PostgreSQL is not answering on 127.0.0.1:5432 (set SNAKECAKES_TEST_PG_URL to another server)" >&2
  [ -n "${SNAKECAKES_TEST_PG_URL:-}" ] || exit 1
fi
exit 0
