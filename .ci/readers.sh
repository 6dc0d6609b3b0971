# Sourced by ./build: provisions the outside judges the tests check our files with, so that
# `./build verify` passes on a fresh machine with no step before it.
#   NumPy                      the consumer of every .npy file   (Debian's python3-numpy)
#   zarr-python 2 + Dask       read Zarr v2 stores               (Debian's python3-zarr, python3-dask)
#   tensorstore                reads Zarr v2 and v3 stores       (pip, into .tensorslab/tensorstore-venv)
#   pyarrow                    reads Arrow IPC and Parquet tables (pip, into the same venv)
# Missing judges make the tests fail (never skip), so they are installed here, each only when absent.
# TENSORSLAB_NO_PROVISION=1 turns this off (the tests then say what is missing).

tensorslab_apt_install() { # installs Debian packages, as root or through sudo
  local sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "build: cannot install $* (no apt-get); the tests that need them will fail saying so" >&2
    return 1
  fi
  { $sudo_cmd apt-get update -qq && $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >&2 \
    || { echo "build: installing $* failed; the tests that need them will fail saying so" >&2; return 1; }
}

tensorslab_provision_test_readers() { # $1: the repository root
  local root=$1 venv
  [ "${TENSORSLAB_NO_PROVISION:-0}" = 1 ] && return 0
  if ! tensorslab_find_numpy_python; then
    echo "build: no python3 with NumPy, installing Debian's python3-numpy" >&2
    tensorslab_apt_install python3-numpy && tensorslab_find_numpy_python || true
  fi
  if ! /usr/bin/python3 -c 'import zarr, dask.array' >/dev/null 2>&1; then
    echo "build: installing Debian's python3-zarr and python3-dask (the Zarr v2 readers the tests check stores with)" >&2
    tensorslab_apt_install python3-zarr python3-dask || true
  fi
  venv=$root/.tensorslab/tensorstore-venv
  if ! "$venv/bin/python" -c 'import tensorstore, numpy' >/dev/null 2>&1; then
    echo "build: making $venv with tensorstore (the Zarr v3 reader the tests check stores with)" >&2
    rm -rf "$venv"
    # Debian's python3 makes venvs only with python3-venv installed: add it when the first try fails.
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
      rm -rf "$venv"
      tensorslab_apt_install python3-venv || true
      python3 -m venv "$venv" >/dev/null 2>&1 || true
    fi
    if [ -x "$venv/bin/pip" ] && "$venv/bin/pip" install -q --retries 0 --timeout 20 tensorstore numpy >&2; then :; else
      echo "build: could not install tensorstore; the Zarr reader tests will fail saying so" >&2
    fi
  fi
  if [ -x "$venv/bin/pip" ] && ! "$venv/bin/python" -c 'import pyarrow' >/dev/null 2>&1; then
    echo "build: installing pyarrow into $venv (the Arrow and Parquet reader the table tests check with)" >&2
    "$venv/bin/pip" install -q --retries 0 --timeout 20 pyarrow >&2 \
      || echo "build: could not install pyarrow; the Arrow and Parquet table tests will fail saying so" >&2
  fi
}

tensorslab_runs_tests() { # true when the Maven arguments run a test phase without skipping tests
  local a runs=1 phase=0
  for a in "$@"; do
    case "$a" in
      test|integration-test|package|verify|install|deploy) phase=1 ;;
      -DskipTests|-DskipTests=true|-Dmaven.test.skip|-Dmaven.test.skip=true) runs=0 ;;
    esac
  done
  [ "$phase" = 1 ] && [ "$runs" = 1 ]
}
