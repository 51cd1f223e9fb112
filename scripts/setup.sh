#!/usr/bin/env bash
# Installs every Debian package XFC needs. Idempotent: packages already
# present are left alone, and it is safe to run any number of times.
set -euo pipefail

PACKAGES=(
  # Compiler infrastructure (MLIR/LLVM 22, shared-library builds).
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  # Build tools.
  cmake ninja-build g++ pkg-config
  # Kernels baseline and test frameworks.
  libdnnl-dev libgtest-dev
  # Independent NumPy reference for end-to-end tests.
  python3 python3-numpy
  # JSON for metadata and bench output.
  nlohmann-json3-dev
  # libFuzzer targets (ctest -L fuzz) and sanitizer builds.
  clang libclang-rt-14-dev
  # Compiles the kernel library to LLVM 22 bitcode that the compiler links
  # into each model.
  clang-22
  # Tensor parallelism: NUMA placement of each socket's shard, and MPI
  # across machines (mpirun, MPI_Allreduce).
  libnuma-dev openmpi-bin libopenmpi-dev
  # ONNX graphs: the protobuf schema (libonnx), its backend node tests
  # (conformance), and python3-onnx for the export scripts of the tests.
  libonnx-dev libprotobuf-dev libonnx-testdata python3-onnx
  # `xfc serve`: HTTP server (cpp-httplib).
  libcpp-httplib-dev
)
# The serving test drives `xfc serve` with the official openai npm client;
# Node.js may come from elsewhere (nodesource), so Debian's only if absent.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
else
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The openai npm package, pinned, into the project (not system-wide).
OPENAI_VERSION=6.9.1
NODE_DEPS="$(cd "$(dirname "$0")/.." && pwd)/.deps/node"
if [ "$(node -e "try{console.log(require('$NODE_DEPS/node_modules/openai/package.json').version)}catch(e){}" 2>/dev/null)" != "$OPENAI_VERSION" ]; then
  echo "setup: installing openai@$OPENAI_VERSION (npm) into $NODE_DEPS"
  mkdir -p "$NODE_DEPS"
  npm install --prefix "$NODE_DEPS" --no-audit --no-fund --silent \
    "openai@$OPENAI_VERSION"
fi
echo "setup: done"
