#!/usr/bin/env bash
# The one set-up script of bitcoin-rpc-mp.
#   ./build.sh test [PYTEST ARGS]   install everything into .venv, then ruff, mypy and the whole pytest suite
#   ./build.sh test-realnode NODE [PYTEST ARGS]
#                                   the tests that meet a node (test/e2e, test/functional, test/unit/ipc, and those
#                                   marked realnode) against a real bitcoin-node: NODE is its path or a variant
#                                   folder of ../shared/bitcoin-node
#   ./build.sh check                ruff and mypy only
#   ./build.sh run [ARGS]           install, then serve (no --socket/-ipcconnect: starts the stand-in node)
#   ./build.sh install              install only
#   ./build.sh coretests [TEST.py ...]  Bitcoin Core's own functional RPC tests through spawn mode, once per node
#                                   variant (CORETESTS_VARIANTS, default "pr29409 v32") found under BITCOIN_NODES
#                                   (default ../shared/bitcoin-node); tests from BITCOIN_CORE_TESTS
#                                   (default ../shared/bitcoin-core-tests); skipped when either is missing
# Needs Python >= 3.11 with its venv module and internet access to PyPI; as root on Debian/Ubuntu it installs
# python3, python3-venv and python3-dev with apt-get when they are missing. Runs at the same time in one
# checkout wait for each other's install (flock on .build.lock).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

log() { printf '[build.sh] %s\n' "$*" >&2; }

find_python() {
    for cand in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
        [ -n "$cand" ] || continue
        if command -v "$cand" >/dev/null 2>&1 &&
            "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$cand"; return 0
        fi
    done
    return 1
}

apt_install() {
    # Debian packages the project needs; only attempted when something is missing and we are root.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing Debian packages: $*"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        log "missing system packages ($*): install them with your package manager"; return 1
    fi
}

ensure_venv() {
    local py
    if ! py=$(find_python); then
        apt_install python3 python3-venv python3-dev
        py=$(find_python) || { log "no Python >= 3.11 found"; exit 1; }
    fi
    if [ ! -x "$PY" ]; then
        log "creating .venv with $py"
        if ! "$py" -m venv "$VENV" 2>/dev/null; then
            apt_install python3-venv
            "$py" -m venv "$VENV"
        fi
    fi
}

lock_install() {
    # Two first runs at once would both create .venv and upgrade pip inside it; the second waits here instead.
    # The descriptor stays open (and the lock held) until this script, or what it execs, ends.
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$ROOT/.build.lock"
        if ! flock -n 9; then
            log "another ./build.sh is installing into .venv; waiting for it"
            flock 9
        fi
    fi
}

install() {
    # $1: extras ("" for the server alone). A stamp per extras set records the pyproject.toml it installed;
    # the test install (a superset) also satisfies `run`.
    local extras="$1" want stamp
    lock_install
    ensure_venv
    want=$(sha256sum pyproject.toml | cut -c1-16)
    for stamp in "$VENV/.installed-$extras" "$VENV/.installed-test,bench"; do
        if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
            unlock_install
            return 0
        fi
    done
    log "installing bitcoin-rpc-mp${extras:+[$extras]} into .venv (first run takes a minute)"
    local spec="."
    [ -n "$extras" ] && spec=".[$extras]"
    if ! { "$PY" -m pip install --disable-pip-version-check --upgrade pip &&
        "$PY" -m pip install --disable-pip-version-check -e "$spec"; } >"$VENV/install.log" 2>&1; then
        tail -n 30 "$VENV/install.log" >&2
        log "pip install failed; the whole log is $VENV/install.log"
        exit 1
    fi
    echo "$want" >"$VENV/.installed-$extras"
    unlock_install
}

unlock_install() {
    # release before the long part (tests, the server): later runs only need the install to be finished
    if command -v flock >/dev/null 2>&1; then flock -u 9; exec 9>&-; fi
}

check() {
    log "ruff check"
    "$VENV/bin/ruff" check bitcoin_rpc_mp test contrib
    log "mypy"
    "$VENV/bin/mypy" --no-error-summary
}

coretests() {
    # run.sh (never edited here) starts "bitcoind" with bitcoind's full command line; we are that bitcoind, and
    # BITCOIN_RPC_MP_NODE makes us spawn the real node behind us. Each variant runs its tests one after another;
    # the variants run side by side (CORETESTS_JOBS=1: one after the other), since most of a test is waiting for a
    # node to start or stop, each with its own -portseed so their ports never meet.
    local tests="${BITCOIN_CORE_TESTS:-$ROOT/../shared/bitcoin-core-tests}"
    local nodes="${BITCOIN_NODES:-$ROOT/../shared/bitcoin-node}"
    local jobs="${CORETESTS_JOBS:-2}" seed=$(( $$ % 500 * 2 ))
    local out variant node failed=0 i=0 started
    local -a pids=() names=()
    if [ ! -x "$tests/run.sh" ]; then
        log "coretests: no Bitcoin Core functional tests at $tests (set BITCOIN_CORE_TESTS); skipped"
        return 0
    fi
    out=$(mktemp -d "${TMPDIR:-/tmp}/coretests.XXXXXX")
    started=$(date +%s)
    for variant in ${CORETESTS_VARIANTS:-pr29409 v32}; do
        node="$nodes/$variant/bin/bitcoin-node"
        if [ ! -x "$node" ]; then
            log "coretests: no node at $node (set BITCOIN_NODES); $variant skipped"
            continue
        fi
        i=$(( i + 1 ))
        log "coretests: Bitcoin Core's functional tests through bitcoin-rpc-mp -node=$node"
        (
            variant_started=$(date +%s)
            if BITCOIN_RPC_MP_NODE="$node" "$tests/run.sh" --bitcoind "$VENV/bin/bitcoin-rpc-mp" \
                --cli "$nodes/cli/bin/bitcoin-cli" --out "$out/$variant" -- "$@" -- --portseed=$(( seed + i )); then
                echo "[build.sh] coretests: $variant passed in $(( $(date +%s) - variant_started )) s"
            else
                echo "[build.sh] coretests: $variant FAILED; logs in $out/$variant"
                exit 1
            fi
        ) >"$out/$variant.txt" 2>&1 &
        pids+=("$!"); names+=("$variant")
        if [ "${#pids[@]}" -ge "$jobs" ]; then
            if ! wait "${pids[0]}"; then failed=1; fi
            cat "$out/${names[0]}.txt" >&2
            pids=("${pids[@]:1}"); names=("${names[@]:1}")
        fi
    done
    while [ "${#pids[@]}" -gt 0 ]; do
        if ! wait "${pids[0]}"; then failed=1; fi
        cat "$out/${names[0]}.txt" >&2
        pids=("${pids[@]:1}"); names=("${names[@]:1}")
    done
    [ "$i" -gt 0 ] || log "coretests: no node variant found; nothing ran"
    log "coretests: $(( $(date +%s) - started )) s in all"
    if [ "$failed" = 0 ]; then rm -rf "$out"; fi
    return "$failed"
}

cmd="${1:-test}"
[ $# -gt 0 ] && shift
case "$cmd" in
    install) install "test,bench" ;;
    check) install "test,bench"; check ;;
    test)
        install "test,bench"
        check
        log "pytest"
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    test-realnode)
        [ $# -ge 1 ] || { echo "usage: ./build.sh test-realnode NODE [PYTEST ARGS]" >&2; exit 2; }
        node="$1"; shift
        nodes_dir="${BITCOIN_NODES:-$ROOT/../shared/bitcoin-node}"
        [ -x "$node" ] || node="$nodes_dir/$node/bin/bitcoin-node"
        [ -x "$node" ] || { log "no bitcoin-node binary at $node"; exit 2; }
        export BITCOIN_NODE="$(cd "$(dirname "$node")" && pwd)/$(basename "$node")"
        if [ -z "${BITCOIN_CLI:-}" ] && [ -x "$nodes_dir/cli/bin/bitcoin-cli" ]; then
            export BITCOIN_CLI="$(cd "$nodes_dir/cli/bin" && pwd)/bitcoin-cli"
        fi
        install "test,bench"
        log "pytest against $BITCOIN_NODE${BITCOIN_CLI:+ (bitcoin-cli $BITCOIN_CLI)}"
        started=$(date +%s)
        # Stand-in-only tests (marker `standin`) already ran in `./build.sh test`; exit 5 (nothing collected)
        # is not a failure.
        status=0
        "$VENV/bin/python" -m pytest -q -m "not standin" test "$@" || status=$?
        [ "$status" = 5 ] && status=0
        if [ "$status" = 0 ] && [ $# = 0 ]; then
            # Byte-identity again with the answer cache on (issue 12): every e2e server gets -rpccachesize, so
            # repeated requests are answered from memory and must still equal the node's own port.
            log "differential and acceptance tests again with -rpccachesize=16"
            RPCMP_E2E_SERVER_ARGS="-rpccachesize=16" "$VENV/bin/python" -m pytest -q -m "not standin" \
                test/e2e/test_differential.py test/e2e/test_acceptance.py test/functional/test_real_clients.py \
                || status=$?
        fi
        log "real node $BITCOIN_NODE: pytest exit $status after $(( $(date +%s) - started )) s"
        exit "$status"
        ;;
    run)
        install ""
        exec "$VENV/bin/bitcoin-rpc-mp" "$@"
        ;;
    coretests)
        install "test,bench"
        coretests "$@"
        ;;
    *) echo "usage: ./build.sh {test|test-realnode NODE|check|run|install|coretests} [ARGS]" >&2; exit 2 ;;
esac
