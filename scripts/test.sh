#!/usr/bin/env bash
# Runs the whole test suite. PostgreSQL tests use STOCKBRIDGE_TEST_PG_URL (default: the loopback
# server); under CI=true a skipped PostgreSQL test fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export STOCKBRIDGE_TEST_PG_URL="${STOCKBRIDGE_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
exec .venv/bin/python -m pytest "$@"
