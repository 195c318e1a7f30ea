#!/usr/bin/env bash
# Peak memory and wall time of `cnctwin simulate` against program length: the interpreter, planner and
# timeline stream, so peak RSS should stay flat from 100k to 1M lines. Usage: benchmarks/simulate-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/CncTwin.Cli -c Release -v q >/dev/null
dotnet build benchmarks/CncTwin.Benchmarks -c Release -v q >/dev/null
cli=src/CncTwin.Cli/bin/Release/net10.0/cnctwin.dll
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '| lines | moves | seconds | peak RSS |\n|---:|---:|---:|---:|\n'
for n in 100000 1000000; do
  dotnet benchmarks/CncTwin.Benchmarks/bin/Release/net10.0/CncTwin.Benchmarks.dll generate "$n" "$tmp/p.ngc"
  # 1 s timeline steps: the synthetic program runs for days of machine time at its feeds.
  /usr/bin/time -f "%e %M" -o "$tmp/time" dotnet "$cli" simulate "$tmp/p.ngc" --dt 1 --quiet --out "$tmp/out"
  read -r secs kb < "$tmp/time"
  moves=$(grep -o '"moves": [0-9]*' "$tmp/out/summary.json" | grep -o '[0-9]*')
  printf '| %s | %s | %s | %.1f MB |\n' "$n" "$moves" "$secs" "$(echo "$kb / 1024" | bc -l)"
done
