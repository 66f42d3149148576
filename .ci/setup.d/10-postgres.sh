# shellcheck shell=bash
# PostgreSQL for the store tests (sourced by .ci/run): install it from Debian if missing, start
# the cluster, create the role and database ris_test, export RIS_TEST_POSTGRES_URL.
# Idempotent and quick when everything is already there; works as root on a fresh machine.

ris_pg_setup() {
  local user=ris_test db=ris_test password=ris_test ver port
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "installing postgresql (Debian package)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" {found = 1} END {exit !found}'; then
    pg_createcluster "$ver" main >/dev/null
  fi
  install -d -o postgres -g postgres -m 2775 /var/run/postgresql
  if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" && $4 == "online" {found = 1} END {exit !found}'; then
    # pg_ctlcluster run as root starts the server as the cluster owner (postgres).
    pg_ctlcluster "$ver" main start
  fi
  port=$(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" {print $3}')
  local psql=(su postgres -s /bin/sh -c)
  local i
  for i in $(seq 1 30); do
    if "${psql[@]}" "psql -p $port -tAc 'SELECT 1'" >/dev/null 2>&1; then break; fi
    sleep 1
  done
  if [ "$("${psql[@]}" "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$user'\"")" != "1" ]; then
    "${psql[@]}" "psql -p $port -q -c \"CREATE ROLE $user LOGIN PASSWORD '$password'\""
  fi
  if [ "$("${psql[@]}" "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"")" != "1" ]; then
    "${psql[@]}" "psql -p $port -q -c \"CREATE DATABASE $db OWNER $user\""
  fi
  export RIS_TEST_POSTGRES_URL="postgresql://$user:$password@127.0.0.1:$port/$db"
  echo "PostgreSQL $ver on port $port: RIS_TEST_POSTGRES_URL set (database $db)"
}

ris_pg_setup
