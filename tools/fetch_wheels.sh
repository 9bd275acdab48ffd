#!/usr/bin/env bash
# Download the wheels named in tools/gpu-wheels.txt into .whl/ (ignored by git), for
# CPython 3.12 on x86-64 Linux, and remove any other wheel there (two versions of one
# package would stop the install). Usage, from anywhere:  bash tools/fetch_wheels.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .whl
specs=$(grep -v '^[[:space:]]*#' tools/gpu-wheels.txt | grep -v '^[[:space:]]*$')
for spec in $specs; do
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl "$spec"
done
for wheel in .whl/*.whl; do
  name_version=$(basename "$wheel" | cut -d- -f1,2 | tr 'A-Z_' 'a-z-')
  keep=no
  for spec in $specs; do
    [ "$(echo "$spec" | tr 'A-Z_' 'a-z-' | sed 's/==/-/')" = "$name_version" ] && keep=yes
  done
  if [ "$keep" = no ]; then echo "removing $wheel (not in tools/gpu-wheels.txt)"; rm -f "$wheel"; fi
done
ls -l .whl
du -ch .whl/*.whl | tail -1
