# shellcheck shell=bash
# Redis as the Celery broker for the scaling tests (sourced by .ci/run): install Debian's
# redis-server if missing, start a private instance on 127.0.0.1 with a non-default port and no
# persistence (no RDB snapshots, no AOF), export RIS_TEST_REDIS_URL. Idempotent and quick.

ris_redis_setup() {
  local port=${RIS_TEST_REDIS_PORT:-6391} dir=/tmp/ris-test-redis i
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "installing redis-server (Debian package)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  mkdir -p "$dir"
  if ! redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
      --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
    for i in $(seq 1 50); do
      if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then break; fi
      sleep 0.1
    done
  fi
  if ! redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
    echo "redis-server did not start on 127.0.0.1:$port (see $dir/redis.log)" >&2
    return 1
  fi
  export RIS_TEST_REDIS_URL="redis://127.0.0.1:$port"
  echo "Redis on 127.0.0.1:$port (no persistence): RIS_TEST_REDIS_URL set"
}

ris_redis_setup
