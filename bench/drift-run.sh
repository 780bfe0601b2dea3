#!/bin/bash
# Times assay drift / profile on the inputs of bench/drift-generate.ts, and scipy on the same files when python3 has
# numpy and scipy. Wall time and peak RSS from GNU time. Usage: bash bench/drift-run.sh > bench/out/drift/results.txt
set -u
cd "$(dirname "$0")/.."
D=bench/out/drift
ASSAY="node_modules/.bin/tsx src/cli/main.ts"
measure() {
  local label="$1"; shift
  /usr/bin/time -f "$label	wall_s=%e	cpu_s=%U+%S	peak_rss_mb=%M" "$@" > /dev/null 2> "$D/time.tmp"
  local code=$?
  echo "$(grep -a 'wall_s=' "$D/time.tmp" | awk -F'\t' -v OFS='\t' '{ split($4, a, "="); $4 = "peak_rss_mb=" int(a[2] / 1024); print }')	exit=$code"
}
measure "wc -l (both CSVs)" wc -l "$D/reference.csv" "$D/current.csv"
measure "assay drift CSV" $ASSAY drift -r "$D/reference.csv" -c "$D/current.csv" -f json -o "$D/drift-csv.json"
measure "assay drift Parquet" $ASSAY drift -r "$D/reference.parquet" -c "$D/current.parquet" -f json -o "$D/drift-parquet.json"
measure "assay profile CSV" $ASSAY profile "$D/reference.csv" -o "$D/reference-profile.json" -q
measure "assay drift from profile" $ASSAY drift --reference-profile "$D/reference-profile.json" -c "$D/current.csv" -f json -o "$D/drift-profile.json"
if python3 -c 'import numpy, scipy' 2>/dev/null; then
  measure "python3 scipy CSV" python3 bench/drift_scipy.py "$D/reference.csv" "$D/current.csv" "$D/scipy-csv.json"
fi
