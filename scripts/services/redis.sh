#!/usr/bin/env bash
# Real Redis for the tests: `redis.sh start|stop|status [instance]`. start prints {"url","started"} as its last line.
source "$(dirname "$0")/lib.sh"

action="${1:-status}"
instance="${2:-test}"
state="$SIFT_RUN_DIR/redis-$instance"

url_of() { echo "redis://127.0.0.1:$(cat "$state.port")"; }

case "$action" in
  start)
    if pid_alive "$state.pid" && redis-cli -p "$(cat "$state.port")" ping >/dev/null 2>&1; then
      echo "{\"url\":\"$(url_of)\",\"started\":false}"
      exit 0
    fi
    apt_install redis-server redis-tools
    port="${SIFT_REDIS_PORT:-$(free_port)}"
    mkdir -p "$state.d"
    # No persistence: the cache holds nothing that cannot be recomputed.
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$state.d" \
      --daemonize no >"$state.log" 2>&1 &
    echo $! >"$state.pid"
    echo "$port" >"$state.port"
    for _ in $(seq 1 80); do
      redis-cli -p "$port" ping >/dev/null 2>&1 && break
      pid_alive "$state.pid" || die "redis exited: $(tail -5 "$state.log")"
      sleep 0.25
    done
    redis-cli -p "$port" ping >/dev/null 2>&1 || die "redis did not answer on port $port"
    log "redis $instance on 127.0.0.1:$port"
    echo "{\"url\":\"$(url_of)\",\"started\":true}"
    ;;
  stop)
    stop_pid "$state.pid" 10
    ;;
  status)
    if pid_alive "$state.pid"; then echo "{\"url\":\"$(url_of)\",\"running\":true}"; else echo '{"running":false}'; exit 1; fi
    ;;
  *) die "usage: redis.sh start|stop|status [instance]" ;;
esac
