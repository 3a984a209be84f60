#!/usr/bin/env bash
# Remake release-0005.sql and the goldens beside it: a database written by hpsearch at
# schema revision 0005 (the release before conditional parameters), and its
# `report --json` / `export --format json --epochs` / `export --format csv --epochs` as
# that release printed them, for each study:
#   noisy: optimizer x lr x momentum x beta1, every setting sampled for every trial (as
#          that release did: an adam trial has a momentum), a narrowed round, an evaluation;
#   book:  the book's lr x weight decay, no pruner.
# Run it with that release installed (a checkout of its commit: pip install -e .),
# from this folder, with the real MNIST in DATA (default ../../../shared/data/mnist).
set -euo pipefail
cd "$(dirname "$0")"
data="${DATA:-../../../shared/data/mnist}"
hpsearch="${HPSEARCH:-hpsearch}"
work="$(mktemp -d)"
db="$work/release.db"
"$hpsearch" start noisy --trials 10 --epochs 2 --train-size 300 --hidden 2x50 \
    --search optimizer=sgd,momentum,adam --search momentum=0.5:0.99 --search beta1=0.8:0.99 \
    --lr 1e-3 1e-1 --pruner none --workers 2 --data-dir "$data" --db "$db" -q --seed 11 > /dev/null
"$hpsearch" narrow noisy --top-k 3 --trials 5 --workers 2 --data-dir "$data" --db "$db" -q > /dev/null
"$hpsearch" evaluate noisy --data-dir "$data" --db "$db" > /dev/null
"$hpsearch" start book --trials 6 --epochs 2 --train-size 300 --hidden 2x50 --pruner none \
    --workers 2 --data-dir "$data" --db "$db" -q --seed 3 > /dev/null
for study in noisy book; do
    "$hpsearch" report "$study" --json --db "$db" > "release-0005-$study-report.json"
    "$hpsearch" export "$study" --format json --epochs --db "$db" > "release-0005-$study-export.json"
    "$hpsearch" export "$study" --format csv --epochs --db "$db" > "release-0005-$study-export.csv"
done
python3 - "$db" <<'PY'
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
with open("release-0005.sql", "w") as dump:
    dump.write("\n".join(connection.iterdump()) + "\n")
PY
rm -rf "$work"
