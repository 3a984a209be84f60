#!/usr/bin/env bash
# Remake release-0003.sql and the JSON beside it: a database written by hpsearch at
# schema revision 0003 (the release that searched lr and weight decay only), and its
# `report --json` / `export --format json --epochs` as that release printed them.
# Run it with that release installed (a checkout of its commit: pip install -e .),
# from this folder, with the real MNIST in DATA (default ../../../shared/data/mnist).
set -euo pipefail
cd "$(dirname "$0")"
data="${DATA:-../../../shared/data/mnist}"
work="$(mktemp -d)"
db="$work/release.db"
hpsearch start book --trials 8 --epochs 3 --train-size 400 --workers 2 --data-dir "$data" --db "$db" -q --seed 3
hpsearch narrow book --top-k 3 --trials 5 --pruner median --workers 2 --data-dir "$data" --db "$db" -q
hpsearch evaluate book --data-dir "$data" --db "$db"
hpsearch start other --trials 4 --epochs 2 --train-size 300 --optimizer adam --hidden 2x50 \
    --workers 2 --data-dir "$data" --db "$db" -q
for study in book other; do
    hpsearch report "$study" --json --db "$db" > "release-0003-$study-report.json"
    hpsearch export "$study" --format json --epochs --db "$db" > "release-0003-$study-export.json"
done
python - "$db" <<'PY'
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
with open("release-0003.sql", "w") as dump:
    dump.write("\n".join(connection.iterdump()) + "\n")
PY
rm -rf "$work"
