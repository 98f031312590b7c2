#!/usr/bin/env bash
# Real PostgreSQL for the tests (analytics with DATABASE_URL): `postgres.sh start|stop|status [instance]`. start
# prints {"url","started"} as its last line. The cluster is initialised in the run directory (outside the
# repository), owned by the unprivileged service account (the server refuses root), and listens on 127.0.0.1 only,
# with a password (scram-sha-256) as a deployment's database would.
source "$(dirname "$0")/lib.sh"

action="${1:-status}"
instance="${2:-test}"
state="$SIFT_RUN_DIR/postgres-$instance"
PG_MAJOR="${SIFT_POSTGRES_MAJOR:-15}"
PG_BIN="${SIFT_POSTGRES_BIN:-/usr/lib/postgresql/$PG_MAJOR/bin}"
PG_USER=sift
PG_PASSWORD=sift-test

url_of() { echo "postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$(cat "$state.port")/sift"; }
ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" >/dev/null 2>&1; }
# The postmaster's pid is the first line of its pid file in the data directory.
postmaster_pid() { head -1 "$state.d/data/postmaster.pid" 2>/dev/null || true; }

start() {
  if pid_alive "$state.pid" && ready "$(cat "$state.port")"; then
    echo "{\"url\":\"$(url_of)\",\"started\":false}"
    return 0
  fi
  [[ -x "$PG_BIN/initdb" ]] || apt_install "postgresql-$PG_MAJOR"
  ensure_service_user
  stop_pid "$state.pid" 30
  local port
  port="$(free_port)"
  mkdir -p "$state.d"
  if [[ ! -s "$state.d/data/PG_VERSION" ]]; then
    rm -rf "$state.d/data"
    printf '%s\n' "$PG_PASSWORD" >"$state.d/pwfile"
    [[ $(id -u) -eq 0 ]] && chown -R "$SIFT_SERVICE_USER" "$state.d"
    grant_traverse "$state.d"
    as_service_user "$PG_BIN/initdb" -D "$state.d/data" -U "$PG_USER" --pwfile="$state.d/pwfile" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$state.log" 2>&1 ||
      die "initdb failed: $(tail -20 "$state.log")"
    rm -f "$state.d/pwfile"
  fi
  [[ $(id -u) -eq 0 ]] && chown -R "$SIFT_SERVICE_USER" "$state.d"
  grant_traverse "$state.d"
  echo "$port" >"$state.port"
  # The socket goes to the instance directory, not /var/run/postgresql (which needs root to create).
  as_service_user "$PG_BIN/pg_ctl" -D "$state.d/data" -l "$state.d/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $state.d -c fsync=off -c max_connections=100" \
    start >>"$state.log" 2>&1 9>&- </dev/null || die "postgres did not start: $(tail -20 "$state.d/server.log")"
  postmaster_pid >"$state.pid"
  ready "$port" || die "postgres did not answer on port $port"
  PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -qAt -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres \
    -c "SELECT 1 FROM pg_database WHERE datname = 'sift'" | grep -q 1 ||
    PGPASSWORD="$PG_PASSWORD" "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U "$PG_USER" sift
  log "postgres $PG_MAJOR ($instance) on 127.0.0.1:$port"
  echo "{\"url\":\"$(url_of)\",\"started\":true}"
}

case "$action" in
  start)
    # Two test runs may start the same instance at once: one starts it, the other finds it running.
    exec 9>"$state.lock"
    flock 9
    start
    ;;
  stop)
    if pid_alive "$state.pid"; then
      as_service_user "$PG_BIN/pg_ctl" -D "$state.d/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    stop_pid "$state.pid" 30
    ;;
  status)
    if pid_alive "$state.pid"; then echo "{\"url\":\"$(url_of)\",\"running\":true}"; else echo '{"running":false}'; exit 1; fi
    ;;
  *) die "usage: postgres.sh start|stop|status [instance]" ;;
esac
