#!/bin/sh
# Time operations in process with the source of two commits, back to back (the machine
# is noisy: compare pairs taken together). Usage:
#   git archive OLD_COMMIT src | tar -x -C /tmp/before
#   benchmarks/scale/side_by_side.sh URL /tmp/before/src report:gaps report:predictability allocate:2031-12-31 ledger
# Each operation is one of measure.py's in-process ones (what[:argument]).
set -e
here=$(cd "$(dirname "$0")" && pwd)
URL=$1
BEFORE=$2
shift 2
PY=${PYTHON:-python}
for what in "$@"; do
  for side in before after; do
    if [ "$side" = before ]; then src=$BEFORE; else src=$here/../../src; fi
    printf "%s %s " "$what" "$side"
    PYTHONPATH=$src ALLIED_DATABASE_URL=$URL $PY -c "
import json, os, sys
sys.path.insert(0, '$here')
import measure
name, _, arg = '$what'.partition(':')
print(json.dumps(measure.in_process(name, arg, dict(os.environ))))
"
  done
done
