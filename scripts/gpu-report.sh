#!/usr/bin/env bash
# The real-GPU report (bench/gpu-report.ts) on a machine that may have no npm, no Node.js and no
# network, such as the device machine lent to some tasks.
#
#   scripts/gpu-report.sh pack              # here, with npm dependencies installed: fills .gpu-report/
#                                           # (git-excluded, ~35 MB): the report bundled with esbuild,
#                                           # dawn.node and this machine's node binary (xz), and the
#                                           # Vulkan loader's .deb when apt-get can download it
#   scripts/gpu-report.sh [OUT_DIR] [ARGS]  # there (or here): runs the report into OUT_DIR (default
#                                           # $OUT, else bench/results/gpu-report) within 8 minutes
#
# With the device tool: run pack here, then
#   run(command: "bash scripts/gpu-report.sh", carry: [".gpu-report"], timeout_s: 560)
# ARGS go to bench/gpu-report.ts (e.g. --quick, --sizes 256, --budget-seconds 300).
# GPU_REPORT_PACKED=1 uses the packed node and bundle even where npm's are (to test a pack here).
set -uo pipefail
cd "$(dirname "$0")/.."
PACK=.gpu-report

if [ "${1:-}" = pack ]; then
  set -e
  rm -rf "$PACK" && mkdir -p "$PACK/bundle/dist/linux-x64" "$PACK/debs"
  grep -qxF "/$PACK/" .git/info/exclude 2>/dev/null || echo "/$PACK/" >>.git/info/exclude
  # The bundle sits two folders below the root so that its shaders/ and dist/ lookups resolve as in the tree.
  npx esbuild bench/gpu-report.ts --bundle --platform=node --format=esm --target=node20 \
    --outfile="$PACK/bundle/gpu-report.mjs" --log-level=error
  xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$PACK/dawn.node.xz"
  xz -T0 -6 -c "$(readlink -f "$(command -v node)")" >"$PACK/node.xz"
  (cd "$PACK/debs" && apt-get download libvulkan1 >/dev/null 2>&1) || echo "no libvulkan1 .deb (apt-get download failed); the target must have a Vulkan loader"
  du -sh "$PACK"
  exit 0
fi

OUT_DIR="${1:-${OUT:-bench/results/gpu-report}}"
[ $# -gt 0 ] && shift
mkdir -p "$OUT_DIR"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# A Vulkan loader and, on NVIDIA, its driver manifest.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  for deb in "$PACK"/debs/*.deb; do [ -e "$deb" ] && dpkg -x "$deb" / && ldconfig; done
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json; do
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -e "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
done
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee "$OUT_DIR/nvidia-smi.txt"

NODE="$(command -v node || true)"
if [ -z "$NODE" ] || [ -n "${GPU_REPORT_PACKED:-}" ]; then
  [ -e "$PACK/node.xz" ] || { echo "no node and no $PACK/node.xz: run scripts/gpu-report.sh pack first" >&2; exit 2; }
  NODE=/tmp/gpu-report-node && xz -dc "$PACK/node.xz" >"$NODE" && chmod +x "$NODE"
fi
if [ -z "${GPU_REPORT_PACKED:-}" ] && [ -e node_modules/tsx ] && [ -e node_modules/webgpu/dist/linux-x64/dawn.node ]; then
  ENTRY=(--import tsx bench/gpu-report.ts)
elif [ -e "$PACK/bundle/gpu-report.mjs" ]; then
  # Unpacked beside the bundle (where webgpu's loader looks) and removed afterwards, so the pack stays small.
  DAWN="$PACK/bundle/dist/linux-x64/dawn.node"
  xz -dc "$PACK/dawn.node.xz" >"$DAWN" && trap 'rm -f "$DAWN"' EXIT
  ENTRY=("$PACK/bundle/gpu-report.mjs")
else
  echo "neither node_modules (npm ci) nor $PACK (scripts/gpu-report.sh pack) is here" >&2
  exit 2
fi
echo "node $("$NODE" --version); ${ENTRY[*]}; writing to $OUT_DIR"
# SIGTERM at 480 s lets the report write what it has; SIGKILL 20 s later if it cannot.
timeout -k 20 480 "$NODE" "${ENTRY[@]}" --out "$OUT_DIR" "$@" 2>&1 | tee "$OUT_DIR/gpu-report.log"
status=${PIPESTATUS[0]}
cat "$OUT_DIR/gpu-report.md" 2>/dev/null
exit "$status"
