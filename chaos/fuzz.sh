#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME each (make fuzz), one after
# another, and prints each target's executions and new corpus entries at the
# end. A crash stops the run: go test writes the failing input under the
# package's testdata/fuzz/FuzzX/, which becomes a committed seed beside the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
FUZZTIME="${FUZZTIME:-3s}"
summary=$(mktemp)
log=$(mktemp)
trap 'rm -f "$summary" "$log"' EXIT

pkgs=$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u)
total=0
for pkg in $pkgs; do
  for target in $("$GO" test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $target ($FUZZTIME)"
    # -parallel 1 keeps a CI run from taking every core of a shared machine.
    if ! "$GO" test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -parallel "${FUZZPARALLEL:-1}" 2>&1 | tee "$log"; then
      echo "FAIL $pkg $target: the failing input is under $pkg/testdata/fuzz/$target/" >&2
      exit 1
    fi
    last=$(grep -E '^fuzz: elapsed' "$log" | tail -1 || true)
    execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
    interesting=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
    printf '%-22s %-26s execs %10s  new interesting %s\n' "$pkg" "$target" "${execs:-?}" "${interesting:-0}" >>"$summary"
    total=$((total + 1))
  done
done
echo
echo "fuzz summary: $total targets, $FUZZTIME each, 0 crashes"
cat "$summary"
