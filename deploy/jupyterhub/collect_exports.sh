#!/usr/bin/env bash
# Collect every student's Design Ledger export into one folder and build the class report
# (one-machine JupyterHub, jupyterhub_config.py). Run as root on the hub machine:
#
#   deploy/jupyterhub/collect_exports.sh OUT_DIR [HOMES_DIR]      # HOMES_DIR: /home
#
# A student is every HOMES_DIR/<name> whose ~/.mlsys holds the lab's store
# (constraintlab.sqlite3) or one of the course's ledger files (ledger.json, ledger_vol1.json,
# ledger_vol2.json): a student who did the course's labs but never opened the capstone has no
# store yet and is collected from the course files. Everything runs AS THE OWNER of that
# ~/.mlsys (root never opens a student's files, so it never leaves a root-owned file there):
# the store is exported as it is; course files alone are imported into a throw-away store in
# a folder of the owner's own and exported from there. The export becomes OUT_DIR/<name>.json
# (the file name is the student id in the report).
#
# A student whose ledger cannot be exported is named on stderr AND in OUT_DIR/skipped.csv
# (student,path,reason), which the class report lists in problems.csv and report.html as
# "not collected" and counts among the skipped. Then
# `constraintlab class-report OUT_DIR --out OUT_DIR/report --skipped OUT_DIR/skipped.csv`.
set -euo pipefail

out=${1:?usage: collect_exports.sh OUT_DIR [HOMES_DIR]}
homes=${2:-/home}
cl=${CONSTRAINTLAB:-constraintlab}   # e.g. CONSTRAINTLAB=/opt/constraintlab/bin/constraintlab
course_files=(ledger.json ledger_vol1.json ledger_vol2.json)

as_owner() {  # run a command as $owner (root switches user; the owner runs it directly)
  if [ "$owner" = "$(id -un)" ]; then "$@"; else runuser -u "$owner" -- "$@"; fi
}

csv_field() {  # one CSV field: in double quotes, quotes doubled, line breaks as spaces
  local text=${1//$'\n'/ }
  text=${text//$'\r'/ }
  printf '"%s"' "${text//\"/\"\"}"
}

export_one() {  # export $home's ledger as $owner into $drop/$name.json; stderr: why not
  local store="$home/.mlsys/constraintlab.sqlite3" file
  if [ ! -f "$store" ]; then  # course files only: import them into a store of the owner's
    store="$drop/collected.sqlite3"
    for file in "${course_files[@]}"; do
      [ -f "$home/.mlsys/$file" ] || continue
      as_owner env HOME="$home" "$cl" ledger import --ledger "$store" "$home/.mlsys/$file" \
        >/dev/null || return 1
    done
  fi
  as_owner env HOME="$home" "$cl" ledger export --ledger "$store" "$drop/$name.json" >/dev/null
}

has_ledger() {  # does $1 (a home) hold a store or a course ledger file?
  local file
  [ -f "$1/.mlsys/constraintlab.sqlite3" ] && return 0
  for file in "${course_files[@]}"; do [ -f "$1/.mlsys/$file" ] && return 0; done
  return 1
}

mkdir -p "$out"
out=$(cd "$out" && pwd)
skipped_csv="$out/skipped.csv"
echo "student,path,reason" >"$skipped_csv"
students=0
collected=0
for home in "$homes"/*/; do
  home=${home%/}
  has_ledger "$home" || continue
  students=$((students + 1))
  name=$(basename "$home")
  owner=$(stat -c %U "$home/.mlsys")
  # the student writes into a folder of their own, and reads the result out of it for root
  # (as the student, so a file swapped for a link to something only root may read is refused)
  drop="" why=""
  if ! drop=$(as_owner mktemp -d); then
    drop="" why="no folder could be made as $owner"
  elif ! why=$(export_one 2>&1 >/dev/null); then
    why=${why:-the export failed}
  elif ! as_owner cat -- "$drop/$name.json" >"$out/.$name.json.partial"; then
    why="the export could not be read back as $owner"
  else
    chmod 0644 "$out/.$name.json.partial"
    mv -f -- "$out/.$name.json.partial" "$out/$name.json"
    collected=$((collected + 1))
    why=""
  fi
  if [ -n "$why" ]; then
    rm -f -- "$out/.$name.json.partial"
    why=$(printf '%s' "${why:-the export failed}" | head -n 1)
    echo "skipped $name: its ledger could not be exported (${why})" >&2
    printf '%s,%s,%s\n' "$(csv_field "$name")" "$(csv_field "$home/.mlsys")" \
      "$(csv_field "the ledger could not be exported: ${why}")" >>"$skipped_csv"
  fi
  [ -z "$drop" ] || as_owner rm -rf -- "$drop"
done
echo "$students students with a ledger: collected $collected, skipped $((students - collected))" \
  "(named in $skipped_csv) into $out"
[ "$collected" -gt 0 ] || exit 1
"$cl" class-report "$out" --out "$out/report" --skipped "$skipped_csv"
