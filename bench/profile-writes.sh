#!/usr/bin/env bash
# The write path's cost per write, load-independent: CPU milliseconds per write summed over all
# nodes (from /proc, no tracer attached), and system calls per write on the leader and on one
# follower (strace -c, in a second pass). Usage, from a repository checkout (any commit with
# LocalCluster, so an older one can be profiled for comparison):
#   bench/profile-writes.sh [--writes 3000] [--port 5381]
set -euo pipefail
writes=3000
port=5381
while [ $# -gt 0 ]; do
  case "$1" in
    --writes) writes="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "usage: bench/profile-writes.sh [--writes 3000] [--port 5381]" >&2; exit 2 ;;
  esac
done
command -v hey >/dev/null || { echo "needs hey (apt-get install hey)" >&2; exit 2; }
command -v strace >/dev/null || { echo "needs strace (apt-get install strace)" >&2; exit 2; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill "$cluster" 2>/dev/null; wait "$cluster" 2>/dev/null; rm -rf "$work"' EXIT
dotnet build "$repo/LocalCluster" -c Release -p:GeoLedgerPulumi=false -v q -nologo >/dev/null
dotnet run --project "$repo/LocalCluster" -c Release --no-build -- --nodes 3 --port "$port" --data "$work/data" >"$work/cluster.log" 2>&1 &
cluster=$!

leader_port=""
for _ in $(seq 1 120); do
  leader_port=$(curl -s "http://127.0.0.1:$port/v1/cluster" | python3 -c '
import json,sys,urllib.parse
try:
    c=json.load(sys.stdin)
except Exception:
    sys.exit(0)
leader=c.get("leader")
for m in c.get("members",[]):
    if leader and (m.get("id")==leader or m.get("id")==(leader.get("id") if isinstance(leader,dict) else None)):
        print(urllib.parse.urlparse(m["public"]).port)
' 2>/dev/null || true)
  [ -n "$leader_port" ] && break
  sleep 0.5 # polling the cluster view until it names a leader
done
[ -n "$leader_port" ] || { echo "no leader within 60 s; cluster log:" >&2; cat "$work/cluster.log" >&2; exit 1; }
pid_on() { ss -ltnpH "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1; }
leader=$(pid_on "$leader_port")
nodes=()
for i in 0 1 2; do nodes+=("$(pid_on $((port + i)))"); done
follower=""
for p in "${nodes[@]}"; do [ "$p" != "$leader" ] && follower="$p" && break; done

cpu_ms() { local t=0; for p in "${nodes[@]}"; do read -r u s < <(awk '{print $14, $15}' "/proc/$p/stat"); t=$((t + u + s)); done; echo $((t * 1000 / $(getconf CLK_TCK))); }
url="http://127.0.0.1:$leader_port/v1/kv/profile"
echo '{"value":"0123456789abcdef0123456789abcdef"}' >"$work/body.json"
put() { hey -n "$1" -c 1 -m PUT -T application/json -D "$work/body.json" "$url" >"$work/hey.txt"; grep -q '\[200\]' "$work/hey.txt" || { cat "$work/hey.txt" >&2; exit 1; }; }

put 500 # warm-up
before=$(cpu_ms)
put "$writes"
after=$(cpu_ms)
echo "commit $(git -C "$repo" rev-parse --short HEAD): $writes sequential PUTs, 1 client, 3 nodes"
awk -v ms=$((after - before)) -v n="$writes" 'BEGIN { printf "CPU per write, all nodes: %.3f ms (%d ms for %d writes)\n", ms / n, ms, n }'
grep -E "Requests/sec|Average" "$work/hey.txt" | sed 's/^ */  /'

trace() { # $1 pid, $2 label
  strace -f -c -o "$work/strace-$2.txt" -p "$1" 2>/dev/null & local tracer=$!
  sleep 1 # strace attaches to every thread; there is no signal for "attached" to wait on
  put 1000
  kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
  python3 - "$work/strace-$2.txt" "$2" <<'PY'
import sys
calls = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) < 5 or parts[-1] == "total" or not parts[0][0].isdigit():
        continue
    count = int(parts[3])  # % time, seconds, usecs/call, calls, [errors], syscall
    calls[parts[-1]] = count
total = sum(calls.values())
top = sorted(calls.items(), key=lambda kv: -kv[1])[:8]
print(f"syscalls per write, {sys.argv[2]}: {total / 1000:.1f}; top: " + ", ".join(f"{k} {v / 1000:.1f}" for k, v in top))
PY
}
trace "$leader" leader
trace "$follower" follower
