#!/usr/bin/env bash
# Re-records LinuxCNC's real trajectory planner on every program in programs/ (headless simulator in
# ../shared/oracles/linuxcnc-sim, machine template/oracle.ini, 1 kHz). Keeps, per program, the
# simulator's summary (program and motion times) and a 10 ms decimated trace (t_s,x,y,z,vel,line,
# motion_type) so tests can compare cycle times and paths without LinuxCNC. Real time: ~2 min in all.
# Needs root and linuxcnc-uspace. Usage: tests/oracle-data/linuxcnc-sim/record.sh [PROGRAM.ngc ...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sim="$here/../../../../shared/oracles/linuxcnc-sim/run-sim.sh"
[ -x "$sim" ] || { echo "oracle not found at $sim" >&2; exit 2; }
mkdir -p "$here/recorded"
progs=("$@"); [ ${#progs[@]} -gt 0 ] || progs=("$here"/programs/*.ngc)
for p in "${progs[@]}"; do
  name=$(basename "$p" .ngc)
  tmp=$(mktemp -d)
  echo "== $name" >&2
  "$sim" "$p" "$tmp/out.csv" >"$tmp/log" 2>&1 || { echo "oracle failed on $name:" >&2; tail -5 "$tmp/log" >&2; rm -rf "$tmp"; exit 1; }
  cp "$tmp/out.summary.json" "$here/recorded/$name.summary.json"
  python3 - "$tmp/out.csv" "$here/recorded/$name.trace.csv" <<'PY'
import csv, sys
src, dst = sys.argv[1], sys.argv[2]
with open(src) as f, open(dst, "w", newline="") as g:
    r = csv.DictReader(f)
    w = csv.writer(g)
    w.writerow(["t_s", "x", "y", "z", "vel", "line", "motion_type"])
    for i, row in enumerate(r):
        if i % 10 == 0:
            w.writerow([row["t_s"], row["x"], row["y"], row["z"], row["vel"], row["line"], row["motion_type"]])
PY
  rm -rf "$tmp"
done
