#!/usr/bin/env bash
# README command (b): install dependencies, build, and run the whole test
# suite (lit + GoogleTest) through CTest. Exits non-zero on any failure.
#   scripts/test.sh [preset]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/setup.sh
bash scripts/build.sh "$preset"
ctest --preset "$preset"
