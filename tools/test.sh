#!/usr/bin/env bash
# Run every notebook's tests with nbdev_test, one notebook at a time so each gets a verdict and a time,
# and end with the line "N passed, N failed". Extra arguments go to nbdev_test (e.g. --flags slow).
set -uo pipefail
cd "$(dirname "$0")/.."
export MLX_PRETRAIN_CACHE="${MLX_PRETRAIN_CACHE:-$(mktemp -d)}"   # tests never touch the user's cache
passed=0; failed=0
for nb in nbs/*.ipynb nbs/tutorials/*.ipynb; do
  start=$(date +%s)
  if out=$(timeout 600 nbdev_test --path "$nb" "$@" 2>&1); then
    passed=$((passed + 1)); echo "PASS $nb ($(( $(date +%s) - start ))s)"
  else
    failed=$((failed + 1)); echo "FAIL $nb ($(( $(date +%s) - start ))s)"; echo "$out" | tail -40
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
