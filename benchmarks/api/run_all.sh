#!/usr/bin/env bash
# The runs of README.md, in turn (about 7 minutes; loopback only). Prints one JSON line
# per run, then the same runs as Markdown table rows (columns as in README.md). The
# PostgreSQL database (default hbench) has its public schema reset by every run: never
# point it at a shared one.
#   bash benchmarks/api/run_all.sh [seconds]       (default 10 s per run)
# The server code measured is the committed tree of REF (default HEAD), exported to a
# temporary directory and put first on PYTHONPATH, so work in progress in src/ does not
# leak into the figures; REF=worktree measures the working tree instead.
set -u
cd "$(dirname "$0")/../.."
REF=${REF:-HEAD}
if [ "$REF" != worktree ]; then
  SRC=$(mktemp -d /tmp/allied-src-XXXXXX)
  trap 'rm -rf "$SRC"' EXIT
  git archive "$REF" src | tar -x -C "$SRC" || exit 1
  export PYTHONPATH="$SRC/src" ALLIED_BENCH_COMMIT=$(git rev-parse --short "$REF") \
    ALLIED_BENCH_SRC_COMMIT=$(git log -1 --format=%h "$REF" -- src)
fi
PG=${ALLIED_BENCH_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/hbench}
D=${1:-10}
OUT=$(mktemp /tmp/allied-load-XXXXXX.jsonl)
run() {  # label, then load.py arguments
  local label=$1; shift
  timeout 300 .venv/bin/python benchmarks/api/load.py --label "$label" --duration "$D" "$@" \
    | tee -a "$OUT"
}
for cfg in "sqlite 1" "postgres 1" "postgres 2"; do
  set -- $cfg
  B="--backend $1 --workers $2 --database-url $PG"
  run "reads only, 16 conns" $B --readers 16 --writers 0
  run "writes only, 8 conns" $B --readers 0 --writers 8
  run "mix 13 + 3 conns" $B --readers 13 --writers 3
  run "rate 1000 r/s + 200 w/s" $B --read-rate 1000 --write-rate 200
  run "rate 200 r/s + 20 w/s" $B --read-rate 200 --write-rate 20
  run "rate 1000 r/s, no writes" $B --read-rate 1000
  # the reads spread over 16 readers of different nations: each pledge makes every
  # reader's list be computed again, not one list read by all
  run "rate 1000 r/s + 200 w/s, readers of 16 nations" $B --read-rate 1000 --write-rate 200 \
    --reader-nations 16
  # the same server with each pledge in its own transaction (no group commit), side by side
  ALLIED_API_PLEDGE_BATCH=1 run "writes only, 8 conns, pledge batch 1" $B --readers 0 --writers 8
  ALLIED_API_PLEDGE_BATCH=1 run "rate 1000 r/s + 200 w/s, pledge batch 1" $B \
    --read-rate 1000 --write-rate 200
done
run "reads only, 16 clients (httpx driver)" --backend sqlite --workers 1 --database-url "$PG" \
  --driver python --clients 16 --write-every 0
echo
.venv/bin/python - "$OUT" <<'PY'
import json, sys

for line in open(sys.argv[1]):
    r = json.loads(line)
    def rate(kind):
        k = r.get(kind)
        if not k:
            return "-"
        off = k.get("offered_per_second")
        share = k.get("answered_of_offered")
        return (f"{k['per_second']:g}" + (f" / {off:g}" if off else "")
                + (f" ({100 * share:.0f} %)" if share is not None else ""))
    def lat(kind):
        k = r.get(kind)
        return "-" if not k else f"{k['p50_ms']:g} / {k['p99_ms']:g}"
    errors = sum(r[k]["errors"] for k in ("read", "write") if k in r)
    backend = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[r["backend"]]
    print(f"| {backend} | {r['workers']} | {r['label']} | {rate('read')} | {lat('read')} "
          f"| {rate('write')} | {lat('write')} | {errors}{'' if r['ok'] else ' (check!)'} "
          f"| {r['server_cpu_ms_per_request']} | {r.get('db_cpu_ms_per_request', '-')} "
          f"| {r['driver_cpu_s']} | {r['other_cpu_cores']} | {r['load_average_1min']} "
          f"| {r['commit']} (src {r['src_commit']}) |")
PY
echo "(JSON lines in $OUT)"
