#!/bin/sh
# Builds the CoEdge C kernel library with CMake for this machine and, when Debian's
# gcc-aarch64-linux-gnu is installed, cross-builds it for linux-aarch64 too. Called by Maven in the
# generate-resources phase. A missing toolchain is not an error: the build goes on, the jar then
# lacks the library and the Java kernels run instead (`coedge info` says so).
#
# usage: build-native.sh SOURCE_DIR BUILD_DIR RESOURCE_DIR
set -u
src=$1
build=$2
out=$3

say() { echo "[coedge-native] $*"; }

if [ "${COEDGE_SKIP_NATIVE:-0}" = 1 ]; then
  say "COEDGE_SKIP_NATIVE=1: not building the C kernel library"
  exit 0
fi
if ! command -v cmake >/dev/null 2>&1; then
  say "cmake not found: skipping the C kernel library (apt-get install cmake gcc); the Java kernels will run"
  exit 0
fi
generator=""
if command -v ninja >/dev/null 2>&1; then generator="-G Ninja"; fi

# configure_and_build DIR [extra cmake args...]
configure_and_build() {
  dir=$1; shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    # shellcheck disable=SC2086
    cmake -S "$src" -B "$dir" $generator -DCMAKE_BUILD_TYPE=Release -DCOEDGE_OUTPUT_DIR="$out" "$@" >"$dir.log" 2>&1 || return 1
  fi
  cmake --build "$dir" >>"$dir.log" 2>&1
}

mkdir -p "$build" "$out"
if command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1; then
  if configure_and_build "$build/host"; then
    say "built the kernel library for $(uname -m)"
  else
    say "WARNING: the C kernel library did not build (see $build/host.log); the Java kernels will run"
  fi
else
  say "no C compiler found: skipping the C kernel library (apt-get install gcc); the Java kernels will run"
fi

if [ "$(uname -m)" = x86_64 ]; then
  if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    here=$(cd "$(dirname "$0")" && pwd)
    if configure_and_build "$build/linux-aarch64" -DCMAKE_TOOLCHAIN_FILE="$here/../cmake/aarch64-linux-gnu.cmake"; then
      say "cross-built the kernel library for linux-aarch64"
    else
      say "WARNING: the aarch64 cross build failed (see $build/linux-aarch64.log)"
    fi
  else
    say "aarch64-linux-gnu-gcc not found: no linux-aarch64 library in this jar (apt-get install gcc-aarch64-linux-gnu)"
  fi
fi
exit 0
