#!/usr/bin/env bash
# Proves that the packaged airlock runs where no Swift toolchain is (issue 14):
#   1. scripts/package.sh builds dist/ (once: --skip-build reuses .build-release);
#   2. the binary's libraries are all Debian's, and it runs with the toolchain's directory hidden
#      (a private mount namespace with a tmpfs over it);
#   3. a bare Debian 12 root (debootstrap --variant=minbase bookworm, kept in .build-package/ for
#      re-runs) gets the .deb through dpkg and apt-get -f install; inside it (chroot, sharing the
#      loopback network) keygen, verify, push into a loopback registry and man airlock work, and
#      skopeo checks the pushed digests from outside.
# Needs root, debootstrap and Debian's package mirror (the only network it uses besides loopback).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
PORT="${PACKAGE_TEST_PORT:-5090}"
CACHE="$ROOT/.build-package"
say() { printf 'package-test: %s\n' "$*" >&2; }

[[ $(id -u) -eq 0 ]] || { say "needs root (debootstrap, chroot, mount namespaces)"; exit 1; }
for tool in debootstrap unshare chroot skopeo; do
  command -v "$tool" >/dev/null || { say "$tool is missing (scripts/setup.sh --package installs it)"; exit 1; }
done

# 1. The package, its checksums signed with a release key (an airlock-style PKCS#8 P-256 key).
mkdir -p "$CACHE"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CACHE/release.key" 2>/dev/null
openssl pkey -in "$CACHE/release.key" -pubout -out "$CACHE/release.pub"
scripts/package.sh --out "$CACHE/dist" --key "$CACHE/release.key" ${PACKAGE_TEST_SKIP_BUILD:+--skip-build}
DEB="$(ls "$CACHE"/dist/airlock_*_amd64.deb)"
TARBALL="$(ls "$CACHE"/dist/airlock-*-linux-x86_64.tar.gz)"
(cd "$CACHE/dist" && sha256sum -c --quiet SHA256SUMS)
openssl dgst -sha256 -verify "$CACHE/release.pub" -signature "$CACHE/dist/SHA256SUMS.sig" "$CACHE/dist/SHA256SUMS" >/dev/null \
  || { say "SHA256SUMS.sig does not verify with openssl"; exit 1; }
# The licence: the .deb's copyright (DEP-5) says Apache-2.0 and points at Debian's copy of the text;
# the tarball, for systems without that copy, carries LICENSE itself.
dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/share/doc/airlock/copyright > "$CACHE/copyright" \
  && grep -qx 'License: Apache-2.0' "$CACHE/copyright" && grep -qF '/usr/share/common-licenses/Apache-2.0' "$CACHE/copyright" \
  || { say "the .deb's copyright does not say Apache-2.0:"; cat "$CACHE/copyright" >&2; exit 1; }
tar -xzOf "$TARBALL" "$(basename "$TARBALL" .tar.gz)/LICENSE" > "$CACHE/LICENSE" && cmp -s "$CACHE/LICENSE" LICENSE \
  || { say "the tarball holds no LICENSE, or not the checkout's"; exit 1; }

# 2. Nothing from the toolchain, with the toolchain's directory hidden.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/airlock-package-test.XXXXXX")"
MOUNTED=()
cleanup() {
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTED[i]}" 2>/dev/null || true; done
  "$ROOT/scripts/dev-registry.sh" stop package-test >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
tar -xzf "$TARBALL" -C "$WORK"
BIN="$(ls -d "$WORK"/airlock-*/bin/airlock)"
TOOLCHAIN="$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")"
if ldd "$BIN" | grep -F "$TOOLCHAIN"; then say "the binary loads libraries from the toolchain ($TOOLCHAIN)"; exit 1; fi
unshare -m sh -c "mount -t tmpfs none '$TOOLCHAIN' && test ! -e '$TOOLCHAIN/usr/bin/swift' && '$BIN' --version && '$BIN' keygen --out '$WORK/hidden' >/dev/null"
say "runs with $TOOLCHAIN hidden"

# 3. A bare Debian 12, made once and copied for each run so every install starts clean.
if [[ ! -f "$CACHE/bookworm.tar" ]]; then
  say "debootstrap --variant=minbase bookworm (a few minutes, once)"
  rm -rf "$CACHE/bookworm"
  debootstrap --variant=minbase bookworm "$CACHE/bookworm" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  tar -C "$CACHE/bookworm" -cf "$CACHE/bookworm.tar.partial" . && mv "$CACHE/bookworm.tar.partial" "$CACHE/bookworm.tar"
  rm -rf "$CACHE/bookworm"
fi
CHROOT="$WORK/root"
mkdir -p "$CHROOT"
tar -C "$CHROOT" -xf "$CACHE/bookworm.tar"
for fs in proc dev sys; do
  mount --rbind "/$fs" "$CHROOT/$fs"
  mount --make-rslave "$CHROOT/$fs"
  MOUNTED+=("$CHROOT/$fs")
done
cp /etc/resolv.conf "$CHROOT/etc/resolv.conf"
in_root() { chroot "$CHROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
in_root test ! -e /opt/swift
cp "$DEB" "$CHROOT/tmp/airlock.deb"
in_root dpkg -i /tmp/airlock.deb >/dev/null 2>&1 || true   # its libraries are not there yet
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq >/dev/null
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends man-db >/dev/null
in_root dpkg -s airlock | grep -q '^Status: install ok installed'
in_root airlock version > "$WORK/version"
grep -Eq '^commit [0-9a-f]{40}' "$WORK/version" && grep -Eq '^Swift [0-9]' "$WORK/version" && grep -q '^libarchive ' "$WORK/version" \
  || { say "airlock version does not name its commit, Swift and libraries:"; cat "$WORK/version" >&2; exit 1; }
say "installed in a bare Debian 12: $(tr '\n' ' ' < "$WORK/version")"

# A bundle packed outside, verified and pushed inside.
"$ROOT/scripts/dev-registry.sh" start package-test "$PORT" >/dev/null
"$ROOT/scripts/seed.sh" "127.0.0.1:$PORT" --plain-http --only runtime,operator >/dev/null 2>&1
"$BIN" keygen --out "$WORK/vendor" >/dev/null
"$BIN" pack --image "127.0.0.1:$PORT/acme/runtime:8.12.*" --image "127.0.0.1:$PORT/acme/operator:2.10.2" \
  --name chroot-check --version 1 -o "$CHROOT/tmp/bundle.tar.zst" --key "$WORK/vendor.key" >/dev/null
cp "$WORK/vendor.pub" "$CHROOT/tmp/vendor.pub"
in_root airlock keygen --out /tmp/site >/dev/null
in_root airlock verify /tmp/bundle.tar.zst --key /tmp/vendor.pub
in_root airlock push /tmp/bundle.tar.zst --to "127.0.0.1:$PORT/inside" --key /tmp/vendor.pub
in_root man airlock | grep -q "airlock"
in_root man airlock-push | grep -q "\-\-mapping"
in_root sh -c 'test -f /usr/share/bash-completion/completions/airlock && test -f /usr/share/doc/airlock/copyright'

# The digests the registry holds are the bundle's, as skopeo sees them from outside.
"$BIN" inspect "$CHROOT/tmp/bundle.tar.zst" --json > "$WORK/inspect.json"
python3 - "$WORK/inspect.json" "$PORT" <<'EOF'
import json, subprocess, sys
report = json.load(open(sys.argv[1]))
port = sys.argv[2]
for image in report["images"]:
    name = image.get("refName") or image.get("name")
    out = subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--raw",
                          f"docker://127.0.0.1:{port}/inside/{name}"], capture_output=True, check=True).stdout
    import hashlib
    digest = "sha256:" + hashlib.sha256(out).hexdigest()
    if digest != image["digest"]:
        sys.exit(f"package-test: {name} is {digest} in the registry, {image['digest']} in the bundle")
print(f"package-test: {len(report['images'])} images pushed from the chroot with their digests", file=sys.stderr)
EOF
say "ok: $(basename "$DEB") ($(du -h "$DEB" | cut -f1)), binary $(du -h "$BIN" | cut -f1)"
