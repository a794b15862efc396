#!/usr/bin/env bash
# Build the wheel, install it into a clean venv outside the checkout for every supported
# Python that is present (3.11, 3.12, 3.13), and check that the installed command lists
# the four exercises and counts the labelled reps of a shared clip. Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${SHARED:-$(cd .. && pwd)/shared}"
CLIP="$SHARED/videos/squat_side_forward_lean.mp4"
EXPECTED_REPS=2
WORK="$(mktemp -d /tmp/posecheck-wheel.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

# Built from a copy of the tracked files: setuptools leaves build/ and *.egg-info where it builds.
mkdir -p "$WORK/src"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$WORK/src"
.venv/bin/python -m pip wheel --quiet --no-deps -w "$WORK/dist" "$WORK/src" > "$WORK/build.log" 2>&1 \
    || { tail -20 "$WORK/build.log"; exit 1; }
WHEEL="$(ls "$WORK"/dist/*.whl)"
echo "wheel: $(basename "$WHEEL") ($(du -h "$WHEEL" | cut -f1))"

checked=0
for version in 3.11 3.12 3.13; do
    # pyenv's interpreters directly (its shims answer only for the selected version), else PATH's.
    py="$(ls -d "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/"$version".*/bin/"python$version" 2>/dev/null | tail -1)"
    [ -n "$py" ] || py="$(command -v "python$version" || true)"
    if [ -z "$py" ]; then echo "python$version: not present, skipped"; continue; fi
    venv="$WORK/venv-$version"
    start=$(date +%s)
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip > "$venv.log" 2>&1
    # A new user's install: pip's report names every archive it fetched; their sizes are the
    # download (local wheel folders, as on some machines, are sized the same way).
    install_start=$(date +%s)
    "$venv/bin/python" -m pip install --quiet --report "$WORK/report-$version.json" "$WHEEL" >> "$venv.log" 2>&1 \
        || { tail -20 "$venv.log"; exit 1; }
    install_s=$(( $(date +%s) - install_start ))
    downloaded_mb="$("$venv/bin/python" tools/download_size.py "$WORK/report-$version.json")"
    echo "python$version: install from the wheel: ${downloaded_mb} MB of archives fetched, ${install_s} s"
    # Bounded dependencies resolve in one pass (mediapipe's unbounded jax once cost 1.3-1.9 GB).
    [ "$downloaded_mb" -lt 400 ] || { echo "python$version: ${downloaded_mb} MB downloaded, over 400 MB"; exit 1; }
    mp="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("mediapipe"))')"
    # Outside the checkout, with a fresh home: nothing but the wheel is there to help.
    ( cd "$WORK" && export HOME="$WORK/home-$version" XDG_DATA_HOME="" XDG_CONFIG_HOME=""
      list="$("$venv/bin/posecheck" exercises list)"
      for name in bird_dog glute_bridge sitting_posture squat; do
          grep -q "^$name " <<< "$list" || { echo "python$version: $name missing from exercises list"; exit 1; }
      done
      report="$("$venv/bin/posecheck" analyze "$CLIP" -e squat --json 2> "$WORK/stderr-$version")"
      # The runtimes' own log lines (LiteRT on MediaPipe 1.x) stay off a clean run's terminal.
      [ ! -s "$WORK/stderr-$version" ] || { echo "python$version: analyze wrote to stderr:"; head -5 "$WORK/stderr-$version"; exit 1; }
      reps="$("$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["summary"]["rep_count"])' <<< "$report")"
      [ "$reps" = "$EXPECTED_REPS" ] || { echo "python$version: $reps reps, expected $EXPECTED_REPS"; exit 1; }
      # Routines and the handout template are package data too.
      "$venv/bin/posecheck" routines show back_care | grep -q "Set 3 of 3: 10 squat reps" \
          || { echo "python$version: back_care routine missing from the wheel"; exit 1; }
      "$venv/bin/posecheck" session --routine back_care --set "squat=$CLIP" --db "$WORK/h-$version.sqlite" > /dev/null \
          && "$venv/bin/posecheck" report --db "$WORK/h-$version.sqlite" --since 1d -o "$WORK/r-$version.html" > /dev/null \
          && grep -q "Exercise report for default" "$WORK/r-$version.html" \
          || { echo "python$version: guided session or handout failed from the wheel"; exit 1; }
      backend="$("$venv/bin/posecheck" models check)"
      echo "python$version: mediapipe $mp, $backend, 4 exercises listed, $reps reps as labelled, routine + session + handout ($(( $(date +%s) - start )) s)"
    )
    checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || { echo "no supported Python found"; exit 1; }
echo "wheel checked on $checked Python versions"
