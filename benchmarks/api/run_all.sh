#!/usr/bin/env bash
# The six runs of README.md, in turn (about 3 minutes; loopback only). The PostgreSQL
# database named by ALLIED_BENCH_POSTGRES_URL has its public schema reset.
cd "$(dirname "$0")/../.."
PG=${ALLIED_BENCH_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/api_bench}
for cfg in "sqlite 1 16 5" "sqlite 2 16 5" "postgres 1 16 5" "postgres 2 16 5" "sqlite 1 16 0" "postgres 2 16 0"; do
  set -- $cfg
  timeout 200 .venv/bin/python benchmarks/api/load.py --backend $1 --database-url $PG --workers $2 --clients $3 --write-every $4 --duration 10
done
