#!/usr/bin/env bash
# Collect every student's Design Ledger export into one folder and build the class report
# (one-machine JupyterHub, jupyterhub_config.py). Run as root on the hub machine:
#
#   deploy/jupyterhub/collect_exports.sh OUT_DIR [HOMES_DIR]      # HOMES_DIR: /home
#
# For each HOMES_DIR/<name>/.mlsys/constraintlab.sqlite3 it runs `constraintlab ledger export`
# AS THE OWNER OF THAT LEDGER (root never opens a student's store, so it never leaves a
# root-owned file in their ~/.mlsys), writes OUT_DIR/<name>.json (the file name is the
# student id in the report), then `constraintlab class-report OUT_DIR --out OUT_DIR/report`.
# A student whose ledger cannot be exported is named on stderr and skipped.
set -euo pipefail

out=${1:?usage: collect_exports.sh OUT_DIR [HOMES_DIR]}
homes=${2:-/home}
cl=${CONSTRAINTLAB:-constraintlab}   # e.g. CONSTRAINTLAB=/opt/constraintlab/bin/constraintlab

as_owner() {  # run a command as $owner (root switches user; the owner runs it directly)
  if [ "$owner" = "$(id -un)" ]; then "$@"; else runuser -u "$owner" -- "$@"; fi
}

mkdir -p "$out"
out=$(cd "$out" && pwd)
collected=0
for store in "$homes"/*/.mlsys/constraintlab.sqlite3; do
  [ -f "$store" ] || continue
  home=${store%/.mlsys/constraintlab.sqlite3}
  name=$(basename "$home")
  owner=$(stat -c %U "$store")
  # the student writes into a folder of their own; root moves the result into OUT_DIR
  drop=$(as_owner mktemp -d)
  if as_owner env HOME="$home" "$cl" ledger export \
      --ledger "$store" "$drop/$name.json" >/dev/null; then
    install -m 0644 "$drop/$name.json" "$out/$name.json"
    collected=$((collected + 1))
  else
    echo "skipped $name: its ledger could not be exported" >&2
  fi
  rm -rf "$drop"
done
echo "collected $collected ledger(s) into $out"
[ "$collected" -gt 0 ] || exit 1
"$cl" class-report "$out" --out "$out/report"
