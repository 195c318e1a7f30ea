#!/usr/bin/env bash
# Times LinuxCNC's reference interpreter (rs274 -g) and `cnctwin parse --format csv` on the same generated
# programs in one run, and reports throughput, peak memory (max RSS) and the cnctwin/rs274 speed ratio.
# Two sizes show whether peak memory stays flat as the program grows.
#   usage: benchmarks/compare-rs274.sh [LINES]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
SMALL=$((LINES / 10))
command -v rs274 >/dev/null || { echo "rs274 not found: apt-get install --no-install-recommends linuxcnc-uspace" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time not found: apt-get install time" >&2; exit 2; }

dotnet build -c Release -v q src/CncTwin.Cli >/dev/null
dotnet build -c Release -v q benchmarks/CncTwin.Benchmarks >/dev/null
CLI="dotnet src/CncTwin.Cli/bin/Release/net10.0/cnctwin.dll"
GEN="dotnet benchmarks/CncTwin.Benchmarks/bin/Release/net10.0/CncTwin.Benchmarks.dll generate"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

measure() { # name file cmd... -> prints "seconds maxrss_kb"
  local out="$WORK/time.txt"
  /usr/bin/time -f "%e %M" -o "$out" "${@:3}" "$2" >/dev/null 2>"$WORK/stderr.txt" || { echo "$1 failed on $2:" >&2; tail -3 "$WORK/stderr.txt" >&2; exit 1; }
  cat "$out"
}

printf "%-8s %9s %9s %12s %10s\n" tool lines seconds lines_per_s max_rss_MB
declare -A T
for n in $SMALL $LINES; do
  f="$WORK/prog-$n.ngc"
  $GEN "$n" "$f"
  read -r rs_s rs_kb < <(measure rs274 "$f" rs274 -g)
  read -r ct_s ct_kb < <(measure cnctwin "$f" $CLI parse --format csv)
  for t in rs274 cnctwin; do
    if [ $t = rs274 ]; then s=$rs_s; kb=$rs_kb; else s=$ct_s; kb=$ct_kb; fi
    printf "%-8s %9d %9.2f %12.0f %10.1f\n" $t "$n" "$s" "$(echo "$n / $s" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
  done
  T[$n]="$rs_s $ct_s $ct_kb"
done
read -r rs_s ct_s ct_kb <<<"${T[$LINES]}"
read -r _ _ small_kb <<<"${T[$SMALL]}"
printf "\ncnctwin is %.1fx rs274's throughput on %d lines; cnctwin peak RSS %d lines: %.1f MB, %d lines: %.1f MB\n" \
  "$(echo "$rs_s / $ct_s" | bc -l)" "$LINES" "$SMALL" "$(echo "$small_kb/1024" | bc -l)" "$LINES" "$(echo "$ct_kb/1024" | bc -l)"
