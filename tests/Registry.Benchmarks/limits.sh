#!/usr/bin/env bash
# The registry against the machine's limits (docs/performance.md, issue 18): reads against a bare Kestrel app, registrations
# against SQLite's own durable commits, each baseline measured in the same run, then resident memory per stored schema.
# Reads are measured twice: without authentication, and signed in with basic authentication as Confluent's clients are.
# Usage: tests/Registry.Benchmarks/limits.sh [seconds per round] [schemas for the memory figures]
# Traffic goes to loopback only; each round is bounded in time. Takes about 6 minutes with the defaults.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-4}"
schemas="${2:-60000}"
command -v wrk > /dev/null || apt-get install -y wrk > /dev/null
dotnet build -c Release tests/Registry.Benchmarks -v q -nologo
bench() { dotnet run -c Release --no-build --project tests/Registry.Benchmarks -- "$@"; }
bench --reads "$seconds" 5
echo
bench --reads "$seconds" 3 --auth
echo
bench --writes "$seconds"
echo
bench --memory "$schemas" --http
