#!/usr/bin/env bash
# Retrains every shipped wear model from the real datasets (../shared/data or $CNCTWIN_DATA) and prints the
# leave-one-out tables. Deterministic: the same data gives the same models.
set -euo pipefail
cd "$(dirname "$0")/.."
for d in phm2010 nasa umich; do
  dotnet run --project src/CncTwin.Cli -c Release -- wear train --dataset "$d" ${CNCTWIN_DATA:+--data "$CNCTWIN_DATA"}
done
