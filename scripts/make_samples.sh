#!/usr/bin/env bash
# How samples/ was made (needs ../shared, tesseract with vie, poppler, fonts-liberation2).
#  samples/scans/levelN/  the four markup plans rendered as degraded scans by
#                         ../shared/tools/render_scan.py (levels 1-3), with NAME.gt.txt ground truth
#  samples/text/          the five seed texts as they came (.md for the Markdown exports)
#  samples/textlayer/     a searchable PDF (scan image + Tesseract text layer) of one plan
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=../shared
for L in 1 2 3; do
  mkdir -p samples/scans/level$L
  for f in $SHARED/samples/markup/*.txt; do
    n=$(basename "$f" .txt)
    python3 $SHARED/tools/render_scan.py "$f" samples/scans/level$L/$n --level $L --seed $L
  done
done
mkdir -p samples/text samples/textlayer
cp $SHARED/samples/seeds/000_*.txt $SHARED/samples/seeds/002_*.txt $SHARED/samples/seeds/003_*.txt samples/text/
for f in $SHARED/samples/seeds/001_*.txt $SHARED/samples/seeds/004_*.txt; do cp "$f" "samples/text/$(basename "$f" .txt).md"; done
tmp=$(mktemp -d)
pdftoppm -r 150 -gray -png samples/scans/level1/004_63baf3d53428361f.pdf "$tmp/p"
ls "$tmp"/p-*.png > "$tmp/list.txt"
OMP_THREAD_LIMIT=1 tesseract "$tmp/list.txt" samples/textlayer/004_63baf3d53428361f -l vie pdf
rm -rf "$tmp"
