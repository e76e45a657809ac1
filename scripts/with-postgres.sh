#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh CMD [ARGS...]
#
# Starts a throwaway PostgreSQL cluster (trust auth, fsync off, TCP on 127.0.0.1 at a free
# port), runs CMD with
#     INSTALL_SERVICE_TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:<port>/postgres
# exported, then stops the cluster and deletes it whatever happens. Exits with CMD's status.
#
# No PostgreSQL binaries: with CI=true this is an error; otherwise CMD runs without the
# variable (the PostgreSQL tests skip).
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

log() { echo "with-postgres: $*" >&2; }

bindir=""
if [[ -n ${PG_BINDIR:-} ]]; then
    bindir=$PG_BINDIR
else
    # Newest installed major version (sort -V so that 16 beats 9.6).
    bindir=$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1 || true)
    if [[ -z $bindir ]] && command -v initdb >/dev/null 2>&1; then
        bindir=$(dirname "$(command -v initdb)")
    fi
fi

if [[ -z $bindir || ! -x $bindir/initdb || ! -x $bindir/pg_ctl ]]; then
    if [[ ${CI:-} == true ]]; then
        log "error: no PostgreSQL binaries found (looked in /usr/lib/postgresql/*/bin and PATH)"
        log "       run scripts/install-system-deps.sh as root, or set PG_BINDIR"
        exit 1
    fi
    log "warning: PostgreSQL not installed; running without INSTALL_SERVICE_TEST_POSTGRES_URL" \
        "(PostgreSQL tests will skip)"
    exec "$@"
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# As root the server runs as "postgres", which may not be able to reach $TMPDIR: use /tmp.
tmproot=${TMPDIR:-/tmp}
[[ $(id -u) -eq 0 ]] && tmproot=/tmp
tmpdir=$(mktemp -d "$tmproot/install-service-pg.XXXXXX")
datadir=$tmpdir/data
sockdir=$tmpdir/sock
logfile=$tmpdir/postgres.log
mkdir -p "$sockdir"

if [[ $(id -u) -eq 0 ]]; then
    # initdb refuses to run as root; run the server as the system user "postgres".
    if ! id -u postgres >/dev/null 2>&1; then
        log "error: running as root but there is no 'postgres' user to run the server as"
        rm -rf "$tmpdir"
        exit 1
    fi
    chown -R postgres: "$tmpdir"
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

started=0
cleanup() {
    local status=$?
    if [[ $started -eq 1 ]]; then
        as_pg "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 \
            || log "warning: pg_ctl stop failed; see $logfile"
    fi
    rm -rf "$tmpdir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! as_pg "$bindir/initdb" -D "$datadir" -U postgres --auth=trust -E UTF8 --no-sync \
        >"$tmpdir/initdb.log" 2>&1; then
    log "error: initdb failed:"
    cat "$tmpdir/initdb.log" >&2
    exit 1
fi

started=1
if ! as_pg "$bindir/pg_ctl" -D "$datadir" -w -l "$logfile" \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $sockdir -c fsync=off" start >/dev/null; then
    log "error: PostgreSQL failed to start:"
    cat "$logfile" >&2 || true
    exit 1
fi

export INSTALL_SERVICE_TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:$port/postgres"
log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

# Not exec: the EXIT trap must still run to stop the cluster. `|| status=$?` keeps set -e
# from aborting so that CMD's own status is what we exit with.
status=0
"$@" || status=$?
exit "$status"
