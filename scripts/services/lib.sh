# Shared helpers for the scripts that install, start and stop the real services Sift's tests run against.
# Every service runs on a loopback address, keeps its downloads under the user's cache directory (never in the
# repository) and records what it started in a run directory, so a second `start` finds the running instance and
# `stop` only stops what was started.
set -euo pipefail

SIFT_CACHE_DIR="${SIFT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sift}"
SIFT_RUN_DIR="${SIFT_RUN_DIR:-$SIFT_CACHE_DIR/run}"
mkdir -p "$SIFT_CACHE_DIR" "$SIFT_RUN_DIR"

# The unprivileged account that runs servers which refuse root (Elasticsearch, OpenSearch).
SIFT_SERVICE_USER="${SIFT_SERVICE_USER:-sift-svc}"

log() { echo "[$(basename "$0" .sh)] $*" >&2; }
die() { log "error: $*"; exit 1; }

# A free TCP port on 127.0.0.1, picked by the kernel.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS [PID]: poll until URL answers 2xx, or fail (early if PID dies).
wait_http() {
  local url="$1" seconds="$2" pid="${3:-}" i
  for ((i = 0; i < seconds * 4; i++)); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.25
  done
  return 1
}

# apt_install PACKAGE...: install Debian packages that are missing (needs root; runs `apt-get update` once).
# The test run starts its services side by side and apt serves one caller at a time (a second `apt-get update`
# fails at once on its lock), so callers take turns on a lock of ours, and apt waits for its own locks too, in case
# something else on the machine holds them. The packages are looked at again once the turn comes: the caller before
# may have installed them.
apt_install() {
  missing_packages "$@" || return 0
  [[ $(id -u) -eq 0 ]] || die "missing Debian packages ${missing[*]}; install them as root"
  (
    flock 9
    missing_packages "$@" || exit 0
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
      "${missing[@]}" >&2
  ) 9>"$SIFT_CACHE_DIR/.apt.lock"
}

# missing_packages PACKAGE...: true when some are not installed, listed in the array `missing`.
missing_packages() {
  missing=()
  local p
  # Installed means "install ok installed": a removed package keeps a status entry (config-files) too.
  for p in "$@"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || missing+=("$p")
  done
  ((${#missing[@]} > 0))
}

# ensure_service_user: create the unprivileged account if it does not exist (as root only).
ensure_service_user() {
  [[ $(id -u) -eq 0 ]] || return 0
  id "$SIFT_SERVICE_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$SIFT_SERVICE_USER"
}

# as_service_user CMD...: run CMD as the unprivileged account when we are root, else as ourselves.
as_service_user() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u "$SIFT_SERVICE_USER" -- "$@"; else "$@"; fi
}

# pid_alive FILE: true when FILE names a running process.
pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid FILE SECONDS: TERM the process named in FILE, KILL it after SECONDS, remove FILE.
stop_pid() {
  local file="$1" seconds="${2:-30}" pid i
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < seconds * 4; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# The service user must reach the tree and the run directory through every parent directory (a home directory is
# often mode 700): grant it search (x) permission only, through an ACL, never read or write on the parents.
grant_traverse() {
  [[ $(id -u) -eq 0 ]] || return 0
  local dir="$1"
  while [[ "$dir" != "/" ]]; do
    if ! runuser -u "$SIFT_SERVICE_USER" -- test -x "$dir" 2>/dev/null; then
      command -v setfacl >/dev/null || apt_install acl
      setfacl -m "u:$SIFT_SERVICE_USER:x" "$dir"
    fi
    dir="$(dirname "$dir")"
  done
}
