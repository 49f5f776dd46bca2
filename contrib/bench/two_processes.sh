#!/usr/bin/env bash
# Would more bitcoin-rpc-mp processes (e.g. SO_REUSEPORT workers, each with its own IPC connection) serve small
# requests faster on this machine? Starts one real bitcoin-node (regtest, its own HTTP port as the baseline) and
# two of our servers on it, then measures getblockcount with wrk, interleaved, ROUNDS times:
#   bitcoind's own port with 64 connections; one server with 64; both servers at once with 32 each (sum).
# Usage: contrib/bench/two_processes.sh [BITCOIN_NODE] [ROUNDS]   (needs wrk; run ./build.sh install first)
set -euo pipefail
cd "$(dirname "$0")/../.."
NODE=${1:-../shared/bitcoin-node/pr29409/bin/bitcoin-node}
ROUNDS=${2:-3}
SRV=.venv/bin/bitcoin-rpc-mp
command -v wrk >/dev/null || { echo "two_processes.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -x "$SRV" ] || { echo "two_processes.sh: no $SRV: run ./build.sh install first" >&2; exit 2; }
d=$(mktemp -d /tmp/rpcmp-two.XXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$d"; }
trap cleanup EXIT
port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
np=$(port); p1=$(port); p2=$(port)
cat > "$d/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]}'
wrk.headers["Authorization"] = "Basic dTpw"
LUA
"$NODE" -regtest -datadir="$d" -ipcbind=unix:"$d/node.sock" -listen=0 -server=1 -rpcport="$np" -rpcuser=u \
    -rpcpassword=p -printtoconsole=0 & pids+=($!)
for i in 1 2; do
    mkdir -p "$d/s$i"; p=$p1; [ $i = 2 ] && p=$p2
    "$SRV" -regtest -datadir="$d/s$i" -ipcconnect=unix:"$d/node.sock" -rpcport="$p" -rpcuser=u -rpcpassword=p \
        -printtoconsole=0 & pids+=($!)
done
until curl -sf -u u:p --data-binary '{"method":"getblockcount"}' "http://127.0.0.1:$p1/" >/dev/null &&
      curl -sf -u u:p --data-binary '{"method":"getblockcount"}' "http://127.0.0.1:$p2/" >/dev/null; do sleep 0.2; done
rate() { wrk -t1 -c"$2" -d5s -s "$d/post.lua" "http://127.0.0.1:$1/" | awk '/Requests\/sec/ {print $2}'; }
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
    native=$(rate "$np" 64); one=$(rate "$p1" 64)
    rate "$p1" 32 > "$d/a" & w1=$!
    rate "$p2" 32 > "$d/b" & w2=$!
    wait "$w1" "$w2"
    a=$(cat "$d/a"); b=$(cat "$d/b")
    python3 -c "import sys; n,o,a,b=map(float,sys.argv[1:]); print(f'round $r: bitcoind port {n:.0f} req/s; one server {o:.0f} ({o/n:.2f}x); two servers {a:.0f}+{b:.0f}={a+b:.0f} ({(a+b)/n:.2f}x)')" "$native" "$one" "$a" "$b"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
