#!/usr/bin/env bash
# Retrains every shipped wear model from the real datasets (../shared/data or $CNCTWIN_DATA) and prints the
# leave-one-out tables. Deterministic: the same data gives the same models.
set -euo pipefail
cd "$(dirname "$0")/.."
data=(${CNCTWIN_DATA:+--data "$CNCTWIN_DATA"})
# PHM 2010 v2 (the default of wear predict): nested-selected sensor model + Kalman filter -> models/phm2010-wear-v2.json
dotnet run --project src/CncTwin.Cli -c Release -- wear train --dataset phm2010 "${data[@]}"
# PHM 2010 v1 (ML.NET, kept for comparison: its features were chosen on the folds it reports)
dotnet run --project src/CncTwin.Cli -c Release -- wear train --dataset phm2010 --model models/phm2010-wear.zip "${data[@]}"
for d in nasa umich; do
  dotnet run --project src/CncTwin.Cli -c Release -- wear train --dataset "$d" "${data[@]}"
done
