#!/usr/bin/env bash
# Builds airlock for machines without a Swift toolchain and writes dist/:
#   airlock_<version>_amd64.deb            Debian package (Depends: only Debian's own libraries)
#   airlock-<version>-linux-x86_64.tar.gz  the same files under bin/ and share/, for other distributions
#   SHA256SUMS [+ SHA256SUMS.sig]          checksums, signed with an airlock key when --key is given
#
#   scripts/package.sh [--key KEY] [--skip-build] [--out DIR]
#
# The Swift runtime and Foundation are linked statically (--static-swift-stdlib); the binary loads
# only libarchive, libzstd, OpenSSL and the C/C++ runtime from the system. Reproducible: with the
# same SOURCE_DATE_EPOCH (default: the commit's time), source tree, toolchain version, Debian
# library headers and checkout path, two runs write identical files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

KEY="" SKIP_BUILD=0 OUT="$ROOT/dist"
while (($#)); do
  case "$1" in
    --key) KEY="${2:?--key needs a private key file}"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --out) OUT="${2:?--out needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -n "$KEY" && ! -r "$KEY" ]]; then echo "package: cannot read the key $KEY" >&2; exit 2; fi

for tool in dpkg-deb dpkg-shlibdeps fakeroot gzip strip; do
  command -v "$tool" >/dev/null || { echo "package: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done

COMMIT="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD 2>/dev/null || COMMIT="$COMMIT-modified"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
SCRATCH="$ROOT/.build-release"

if ((SKIP_BUILD == 0)); then
  echo "package: building the release binary (static Swift runtime; the first build takes a while)" >&2
  SWIFT_VERSION="$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([^ ]*\).*/\1/p' | head -1)"
  swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product airlock \
    -Xcc "-DAIRLOCK_COMMIT=\"$COMMIT\"" -Xcc "-DAIRLOCK_SWIFT=\"${SWIFT_VERSION:-unknown}\"" 2>&1 | grep -E "error|warning: unre|Build complete" >&2 || true
fi
BINARY="$SCRATCH/release/airlock"
[[ -x "$BINARY" ]] || { echo "package: no release binary at $BINARY; run without --skip-build" >&2; exit 1; }
if ldd "$BINARY" | grep -q -e "/opt/swift" -e "libswift" -e "libFoundation" -e "libdispatch"; then
  echo "package: the binary still loads the Swift runtime dynamically:" >&2
  ldd "$BINARY" >&2
  exit 1
fi
VERSION="$("$BINARY" --version | head -1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+~-]*' | head -1)"
[[ -n "$VERSION" ]] || { echo "package: cannot read the version from $BINARY --version" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/airlock-package.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
umask 022

# One tree, laid out as installed under /usr; the tarball takes the same files from usr/.
STAGE="$WORK/deb"
install -d "$STAGE/usr/bin" "$STAGE/usr/share/man/man1" "$STAGE/usr/share/man/man5" \
  "$STAGE/usr/share/doc/airlock/format-spec" "$STAGE/usr/share/bash-completion/completions" \
  "$STAGE/usr/share/zsh/vendor-completions" "$STAGE/usr/share/fish/vendor_completions.d" "$STAGE/DEBIAN"
install -m 755 "$BINARY" "$STAGE/usr/bin/airlock"
strip --strip-unneeded "$STAGE/usr/bin/airlock"
for page in man/*.1 man/*.5; do
  section="${page##*.}"
  gzip -9n < "$page" > "$STAGE/usr/share/man/man$section/$(basename "$page").gz"
done
"$BINARY" --generate-completion-script bash > "$STAGE/usr/share/bash-completion/completions/airlock"
"$BINARY" --generate-completion-script zsh > "$STAGE/usr/share/zsh/vendor-completions/_airlock"
"$BINARY" --generate-completion-script fish > "$STAGE/usr/share/fish/vendor_completions.d/airlock.fish"
install -m 644 README.md "$STAGE/usr/share/doc/airlock/README.md"
install -m 644 NOTICE "$STAGE/usr/share/doc/airlock/NOTICE"
cp -R format-spec/. "$STAGE/usr/share/doc/airlock/format-spec/"
find "$STAGE/usr/share/doc/airlock/format-spec" -type d -exec chmod 755 {} + -o -type f -exec chmod 644 {} +
# Debian's machine-readable copyright (DEP-5); the licence text itself is Debian's common copy.
cat > "$STAGE/usr/share/doc/airlock/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: airlock
Comment: Built from commit $COMMIT. The binary links the Swift runtime, Foundation, SwiftNIO,
 AsyncHTTPClient, swift-argument-parser, swift-log and Yams statically (Apache-2.0 and MIT).

Files: *
Copyright: 2026 the airlock developers
License: Apache-2.0

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not
 use this file except in compliance with the License. You may obtain a copy of
 the License at
 .
 http://www.apache.org/licenses/LICENSE-2.0
 .
 Unless required by applicable law or agreed to in writing, software
 distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
 License for the specific language governing permissions and limitations under
 the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0 can be
 found in "/usr/share/common-licenses/Apache-2.0".
EOF

# Depends from the libraries the binary loads, as Debian's own tool computes them.
mkdir -p "$WORK/shlibs/debian"
printf 'Source: airlock\n\nPackage: airlock\nArchitecture: amd64\n' > "$WORK/shlibs/debian/control"
DEPENDS="$(cd "$WORK/shlibs" && dpkg-shlibdeps -O "$STAGE/usr/bin/airlock" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[[ -n "$DEPENDS" ]] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
INSTALLED_SIZE="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
cat > "$STAGE/DEBIAN/control" <<EOF
Package: airlock
Version: $VERSION
Architecture: amd64
Maintainer: airlock developers <airlock@localhost>
Installed-Size: $INSTALLED_SIZE
Depends: $DEPENDS
Recommends: man-db
Section: admin
Priority: optional
Description: signed, verifiable container image bundles for air-gapped networks
 airlock packs container images into one signed, zstd-compressed OCI-layout
 bundle, verifies it with stock tools or its own, and streams it into any OCI
 registry inside an air-gapped network with digests unchanged.
EOF

# Reproducible: fixed mtimes and owners; dpkg-deb sorts entries and honours SOURCE_DATE_EPOCH.
find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$OUT"
DEB="$OUT/airlock_${VERSION}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null

NAME="airlock-$VERSION-linux-x86_64"
TREE="$WORK/tar/$NAME"
mkdir -p "$TREE"
cp -a "$STAGE/usr/bin" "$STAGE/usr/share" "$TREE/"
install -m 644 LICENSE "$TREE/LICENSE"   # other systems have no /usr/share/common-licenses
touch -h -d "@$SOURCE_DATE_EPOCH" "$TREE" "$WORK/tar"
TARBALL="$OUT/$NAME.tar.gz"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --format=gnu \
  -C "$WORK/tar" -cf - "$NAME" | gzip -9n > "$TARBALL"

(cd "$OUT" && sha256sum "$(basename "$DEB")" "$(basename "$TARBALL")" > SHA256SUMS)
rm -f "$OUT/SHA256SUMS.sig"
if [[ -n "$KEY" ]]; then
  # The same signatures as a bundle's (format-spec §10): ECDSA P-256 over SHA-256 (DER), or Ed25519.
  passin=()
  [[ -n "${AIRLOCK_KEY_PASSPHRASE:-}" ]] && passin=(-passin env:AIRLOCK_KEY_PASSPHRASE)
  if openssl pkey -in "$KEY" "${passin[@]}" -noout -text 2>/dev/null | grep -q ED25519; then
    openssl pkeyutl -sign -rawin -inkey "$KEY" "${passin[@]}" -in "$OUT/SHA256SUMS" -out "$OUT/SHA256SUMS.sig"
  else
    openssl dgst -sha256 -sign "$KEY" "${passin[@]}" -out "$OUT/SHA256SUMS.sig" "$OUT/SHA256SUMS"
  fi
fi

echo "package: airlock $VERSION ($COMMIT), SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH" >&2
(cd "$OUT" && ls -l "$(basename "$DEB")" "$(basename "$TARBALL")" SHA256SUMS ${KEY:+SHA256SUMS.sig}) >&2
