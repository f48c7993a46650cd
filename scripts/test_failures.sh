#!/bin/bash
# test_failures.sh LOG.json...: prints, for every failed test of meson's JSON test logs, the
# doctest blocks that hold a failed check (the test case's name, its messages and the failure),
# at most 40 lines each. meson --print-errorlogs shows only the last 100 lines of a suite's
# output, which in a long suite such as e2e often ends after the failing case; this names it.
set -uo pipefail
for log in "$@"; do
  [ -s "$log" ] || continue
  jq -r 'select(.result != "OK" and .result != "EXPECTEDFAIL" and .result != "SKIP")
         | "##### \(.name): \(.result)\n\(.stdout // "")\n\(.stderr // "")"' "$log" |
    awk '
      /^##### / { print; next }
      /^====================/ { flush(); next }
      { block[n++] = $0; if ($0 ~ /(ERROR|FATAL ERROR|Assertion|TEST CASE FAILED|crashed|SIGSEGV|SIGABRT)/) bad = 1 }
      function flush(  i, lim) {
        if (bad) {
          lim = n < 40 ? n : 40
          print "====="
          for (i = 0; i < lim; i++) print block[i]
          if (n > lim) print "... (" n - lim " more lines in the log)"
        }
        n = 0; bad = 0
      }
      END { flush() }'
done
