# Sourced by ./build and .ci/run: sets TENSORSLAB_PYTHON to a python3 that can import numpy, if any.
tensorslab_find_numpy_python() {
  local p
  for p in "${TENSORSLAB_PYTHON:-}" python3 /usr/bin/python3; do
    [ -n "$p" ] || continue
    if "$p" -c 'import numpy' >/dev/null 2>&1; then TENSORSLAB_PYTHON=$(command -v "$p"); export TENSORSLAB_PYTHON; return 0; fi
  done
  return 1
}
