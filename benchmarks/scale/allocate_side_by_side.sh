#!/bin/sh
# `allied allocate --dry-run` end to end (interpreter start-up included), with the source
# of two commits, alternating N times (the machine is noisy: compare the pairs). Usage:
#   git worktree add --detach /work/wt/alloc-before 685ed21
#   BEFORE=/work/wt/alloc-before/src benchmarks/scale/allocate_side_by_side.sh URL 2031-12-31 3 [ARGS for after]
# ARGS (optional, in the environment) are given to both sides, e.g. ARGS="--grace-days 90".
# Prints, per run, the load average, wall seconds, peak memory, the plan's digest and its
# status, objective, lines and units allocated.
set -e
here=$(cd "$(dirname "$0")" && pwd)
ALLIED=${ALLIED:-allied}
PYTHON=${PYTHON:-python3}
ARGS=${ARGS:-}
URL=$1; ASOF=$2; N=$3; shift 3
out=$(mktemp -d)
for i in $(seq 1 $N); do
  for side in before after; do
    if [ $side = before ]; then src=$BEFORE; extra=""; else src=$here/../../src; extra="$*"; fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    ALLIED_DATABASE_URL=$URL PYTHONPATH=$src nice -n 10 /usr/bin/time -f "%e s %M KiB exit %x" $ALLIED allocate --dry-run --as-of $ASOF --format json $ARGS $extra > $out/plan_$side.json 2> $out/time_$side.txt
    summary=$($PYTHON -c 'import json, sys; p = json.load(open(sys.argv[1])); print(p["status"], p["objective"], len(p["allocations"]), "lines", sum(a["quantity"] for a in p["allocations"]), "units", len(p["unfilled"]), "unfilled")' $out/plan_$side.json)
    echo "$side run $i load $load: $(tail -1 $out/time_$side.txt) plan $(sha256sum $out/plan_$side.json | cut -c1-16) $summary"
  done
done
