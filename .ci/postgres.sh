#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster for the tests of batch runs shared through PostgreSQL:
# Debian's postgresql, a cluster of its own in /var/lib/reachaudit-test-pg, listening on
# 127.0.0.1:54329 only, with a login role the tests create their databases with:
#   postgres://reachaudit:reachaudit-test@127.0.0.1:54329/postgres   (role with CREATEDB)
# The superuser has no password and logs in only through the cluster's own socket, as the OS user
# postgres (peer); the socket directory is closed to everyone else.
# When this script installs the server, it first tells postgresql-common not to create the
# package's own cluster "main" (create_main_cluster = false in
# /etc/postgresql-common/createcluster.conf). No cluster this script did not make is touched: a
# directory at its path without its marker, or another server on its port, stops it with an
# error. Idempotent: running it again makes the cluster anew (stopping the one it made before).
# fsync is off: the data are thrown away.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
ROOT=/var/lib/reachaudit-test-pg
DATA=$ROOT/data
MARKER=$ROOT/made-by-reachaudit-postgres.sh
PORT=54329
ROLE=reachaudit
PASSWORD=reachaudit-test

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    sudo -u postgres -- "$@"
  fi
}

if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # The cluster manager first, told not to create a cluster "main" on port 5432 when the server
  # package arrives: nobody asked for it, and the tests make their own.
  $SUDO apt-get install -y -qq --no-install-recommends postgresql-common
  $SUDO sed -i 's/^#\{0,1\}[[:space:]]*create_main_cluster.*/create_main_cluster = false/' \
    /etc/postgresql-common/createcluster.conf
  $SUDO apt-get install -y -qq --no-install-recommends postgresql
fi
BIN=$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1)

if [ -L "$ROOT" ] || { [ -e "$ROOT" ] && [ ! -e "$MARKER" ]; }; then
  echo "postgres.sh: $ROOT exists and was not made by this script; move it away (it is not touched)" >&2
  exit 1
fi
if [ -e "$MARKER" ]; then
  as_postgres "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
  $SUDO rm -rf "$ROOT"
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "postgres.sh: another server listens on 127.0.0.1:$PORT; stop it or free the port (it is not touched)" >&2
  exit 1
fi

# /var/lib is root's: nobody can plant a link at the path before it is made.
$SUDO install -d -m 755 -o postgres -g postgres "$ROOT"
$SUDO touch "$MARKER"
log=$(mktemp)
as_postgres "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C \
  --auth-local=peer --auth-host=scram-sha-256 >"$log" 2>&1 || {
  cat "$log" >&2
  rm -f "$log"
  exit 1
}
rm -f "$log"
as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c unix_socket_permissions=0700 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null
as_postgres "$BIN/psql" -h "$DATA" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
echo "PostgreSQL $("$BIN/postgres" --version | sed -n "s/.*(PostgreSQL) \([^ ]*\).*/\1/p") on 127.0.0.1:$PORT (cluster $DATA)"
