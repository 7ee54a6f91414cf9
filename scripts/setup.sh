#!/usr/bin/env bash
# Installs everything airlock needs on a fresh Debian machine (as root, or with sudo) and builds it.
#   scripts/setup.sh            # packages + debug build
#   scripts/setup.sh --no-build # packages only
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Build: libarchive, libzstd, OpenSSL headers through pkg-config.
# Tests and demo: the CNCF registry, skopeo/umoci/zstd/tar/openssl as independent checkers, htpasswd for auth.
# Packaging (scripts/package.sh, package-test.sh): dpkg-dev, fakeroot, binutils, debootstrap.
# Real clients pulling from `airlock serve`: podman and containerd (ctr).
# nginx in front of the registry: an enterprise proxy's body limit and refusals (BodyLimitTests).
PACKAGES=(pkg-config libarchive-dev libzstd-dev libssl-dev
          docker-registry skopeo umoci zstd tar openssl apache2-utils curl jq python3 man-db groff-base bsdextrautils
          dpkg-dev fakeroot binutils debootstrap util-linux podman containerd nginx-light)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Man pages (man/) and shell completions (generated from the parser) under /usr/local.
install_docs() {
  local share=/usr/local/share SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO install -d "$share/man/man1" "$share/man/man5"
  $SUDO install -m 644 man/*.1 "$share/man/man1/"
  $SUDO install -m 644 man/*.5 "$share/man/man5/"
  command -v mandb >/dev/null && { $SUDO mandb -q 2>/dev/null || true; }
  local binary="$(pwd)/.build/debug/airlock"
  [[ -x "$binary" ]] || return 0
  $SUDO install -d "$share/bash-completion/completions" "$share/zsh/site-functions" "$share/fish/vendor_completions.d"
  "$binary" --generate-completion-script bash | $SUDO tee "$share/bash-completion/completions/airlock" >/dev/null
  "$binary" --generate-completion-script zsh | $SUDO tee "$share/zsh/site-functions/_airlock" >/dev/null
  "$binary" --generate-completion-script fish | $SUDO tee "$share/fish/vendor_completions.d/airlock.fish" >/dev/null
  # `airlock` on PATH for the completions, unless a real binary is installed there.
  if [[ ! -e /usr/local/bin/airlock || -L /usr/local/bin/airlock ]]; then $SUDO ln -sf "$binary" /usr/local/bin/airlock; fi
  echo "setup: man pages (man airlock) and bash/zsh/fish completions installed" >&2
}

if [[ "${1:-}" != "--no-build" ]]; then
  echo "setup: building airlock (first build takes a few minutes)" >&2
  swift build 2>&1 | grep -E "error|warning: unre|Compiling airlock|Build complete" >&2 || true
  [[ -x .build/debug/airlock ]] || { echo "setup: build failed; run 'swift build' to see why" >&2; exit 1; }
  echo "setup: ready: $(pwd)/.build/debug/airlock" >&2
fi
install_docs
