#!/usr/bin/env bash
# Remake release-0004.sql and the goldens beside it: a database written by hpsearch at
# schema revision 0004 (the release that stores searched parameters of every kind), and
# its `report --json` / `export --format json --epochs` / `export --format csv --epochs`
# as that release printed them, for each study:
#   mixed: optimizer, batch size and batchnorm choices, an integer and a linear float
#          range beside lr and weight decay (lr up to 10: a trial diverges); the asha
#          pruner, a narrowed round, an evaluation;
#   book:  the book's lr x weight decay, the median pruner (7 epochs: past its warm-up,
#          so it prunes), a narrowed round;
#   auto:  a study made by `hpsearch auto`, no pruner (its options stored with the study).
# Run it with that release installed (a checkout of its commit: pip install -e .),
# from this folder, with the real MNIST in DATA (default ../../../shared/data/mnist).
set -euo pipefail
cd "$(dirname "$0")"
data="${DATA:-../../../shared/data/mnist}"
work="$(mktemp -d)"
db="$work/release.db"
hpsearch start mixed --trials 14 --epochs 4 --train-size 400 \
    --search optimizer=sgd,momentum,adam --search batch_size=32,64,100 \
    --search batchnorm=true,false --search hidden_layers=2:4 --search dropout=0:0.3 \
    --search lr=1e-4:10 --search weight_decay=1e-8:1e-4 \
    --pruner asha --workers 2 --data-dir "$data" --db "$db" -q --seed 5 > /dev/null
hpsearch narrow mixed --top-k 3 --trials 6 --workers 2 --data-dir "$data" --db "$db" -q > /dev/null
hpsearch evaluate mixed --data-dir "$data" --db "$db" > /dev/null
hpsearch start book --trials 10 --epochs 7 --train-size 400 --pruner median --workers 2 \
    --data-dir "$data" --db "$db" -q --seed 3 > /dev/null
hpsearch narrow book --top-k 3 --trials 6 --pruner median --workers 2 --data-dir "$data" --db "$db" -q > /dev/null
hpsearch auto auto --rounds 1 --top-k 3 --trials 5 --epochs 2 --train-size 300 --hidden 2x50 \
    --pruner none --workers 2 --data-dir "$data" --db "$db" -q --seed 7 > /dev/null
for study in mixed book auto; do
    hpsearch report "$study" --json --db "$db" > "release-0004-$study-report.json"
    hpsearch export "$study" --format json --epochs --db "$db" > "release-0004-$study-export.json"
    hpsearch export "$study" --format csv --epochs --db "$db" > "release-0004-$study-export.csv"
done
python - "$db" <<'PY'
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
with open("release-0004.sql", "w") as dump:
    dump.write("\n".join(connection.iterdump()) + "\n")
PY
rm -rf "$work"
