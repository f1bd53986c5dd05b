#!/usr/bin/env bash
# Makes this machine ready for wgpu-style: npm dependencies, then a WebGPU adapter.
# Idempotent. Where it cannot install something itself (no root, not Debian/Ubuntu)
# it prints exactly what to install and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  export XDG_RUNTIME_DIR="/tmp/runtime-$(id -u)"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  say "XDG_RUNTIME_DIR was unset; using $XDG_RUNTIME_DIR"
fi

if [ -f package-lock.json ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
else
  say "installing npm dependencies (npm install)"
  npm install --no-audit --no-fund
fi

# Video files (wgpu-style video in.mp4 ...) go through ffmpeg; frames folders need none. Debian's
# package where root and apt-get are here; a failure here costs video files only, not the set-up.
if command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; then
  say "ffmpeg is installed (for wgpu-style video)"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "installing ffmpeg (for wgpu-style video)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg; }; then
    say "could not install ffmpeg: video files need it (frames folders do not); apt-get install ffmpeg"
  fi
else
  say "no ffmpeg: wgpu-style video needs it for video files (frames folders do not);"
  say "install it (Debian/Ubuntu: apt-get install ffmpeg) or set WGPU_STYLE_FFMPEG=/path/to/ffmpeg"
fi

# wgpu-style batch --queue and worker use a Redis server (docs/batch.md); the queue's tests start
# Debian's redis-server themselves (the TLS test makes its CA with openssl). The same way as
# ffmpeg: a failure costs the queue only.
if command -v redis-server >/dev/null && command -v openssl >/dev/null; then
  say "redis-server is installed (for wgpu-style batch --queue and its tests)"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "installing redis-server (for wgpu-style batch --queue and its tests)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server openssl; }; then
    say "could not install redis-server: the queue needs one somewhere (apt-get install redis-server, or see docs/batch.md)"
  fi
else
  say "no redis-server: wgpu-style batch --queue needs a Redis (apt-get install redis-server, or see docs/batch.md)"
fi

probe() { node scripts/probe-adapter.mjs; }

if probe; then
  say "a WebGPU adapter is available; nothing more to install"
  exit 0
fi

say "no usable WebGPU adapter; a Vulkan driver is needed"

# Dawn rejects Mesa 22's lavapipe (Debian bookworm's stock version): it lacks
# shaderUniform*ArrayDynamicIndexing. Mesa >= 25 (bookworm-backports) works.
. /etc/os-release 2>/dev/null || true
codename="${VERSION_CODENAME:-}"
manual() {
  cat <<MSG
[setup] Please install a Vulkan driver yourself, then run 'npm run setup' again:
  - with a GPU: your vendor's Vulkan driver (NVIDIA, AMD/Intel Mesa >= 25) and libvulkan1;
  - without a GPU (software rendering): Mesa >= 25's lavapipe, e.g. on Debian bookworm as root:
      echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/backports.list
      apt-get update && apt-get install -t bookworm-backports libvulkan1 mesa-vulkan-drivers
    on Ubuntu >= 24.04: apt-get install libvulkan1 mesa-vulkan-drivers
MSG
  exit 1
}

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  say "cannot install system packages here (need root and apt-get)"
  manual
fi

export DEBIAN_FRONTEND=noninteractive
if [ "$codename" = bookworm ]; then
  list=/etc/apt/sources.list.d/bookworm-backports.list
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    say "adding the bookworm-backports suite to apt ($list)"
    echo 'deb http://deb.debian.org/debian bookworm-backports main' > "$list"
  fi
  say "apt-get update"
  apt-get update -qq
  say "installing libvulkan1 and mesa-vulkan-drivers from bookworm-backports (Mesa 25 lavapipe)"
  apt-get install -y -qq -t bookworm-backports libvulkan1 mesa-vulkan-drivers
elif [ "${ID:-}" = debian ] || [ "${ID:-}" = ubuntu ] || [ "${ID_LIKE:-}" = debian ]; then
  say "apt-get update"
  apt-get update -qq
  say "installing libvulkan1 and mesa-vulkan-drivers"
  apt-get install -y -qq libvulkan1 mesa-vulkan-drivers
else
  say "unknown distribution '${ID:-?}'"
  manual
fi

if probe; then
  say "a WebGPU adapter is available now"
else
  say "still no usable adapter after installing the driver"
  manual
fi
