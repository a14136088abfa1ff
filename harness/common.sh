# shellcheck shell=bash
# Shared settings for the harness scripts; sourced, never run.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${IG_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/iommu-groups}
BUILD=${IG_BUILD:-$TOP/build}
OUT=$TOP/out
JOBS=${JOBS:-$(nproc)}

# shellcheck source=../base.pin
. "$TOP/base.pin"
BASE_REPO=$CACHE/base/linux-$KERNEL_VERSION
# Both kernels are built from clones laid out alike (build/KIND/linux with
# objects in build/KIND/obj-ARCH), so with CCACHE_BASEDIR the compiler sees
# the same relative paths and the oracle and series share one cache.
SERIES_TREE=$BUILD/series/linux
UPSTREAM_TREE=$BUILD/upstream/linux

export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
export CCACHE_BASEDIR=$BUILD
# Kernel objects are reproducible enough; do not hash timestamps macros.
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-time_macros,include_file_mtime,include_file_ctime}
# Reproducible kernel strings (and therefore ccache hits) across rebuilds.
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=iommu-groups KBUILD_BUILD_HOST=harness

msg()  { printf '==> %s\n' "$*" >&2; }
warn() { printf '!!! %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }
