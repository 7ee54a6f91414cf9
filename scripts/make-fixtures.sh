#!/usr/bin/env bash
# Regenerate the bundle test vectors in fixtures/ (see fixtures/README.md), for the record.
#
#   AIRLOCK=.build/debug/airlock scripts/make-fixtures.sh
#
# Starts a loopback registry "fx" on 127.0.0.1:15400 (the port is recorded inside the bundle, so it
# is fixed), seeds the deterministic "agent" image, packs fixtures/tiny.bundle signed with the
# Ed25519 test key at SOURCE_DATE_EPOCH=1700000000, countersigns it with the ECDSA test key, verifies
# it, writes fixtures/tiny.expected.json, and stops the registry. Existing test keys are kept (new
# keys would change the key ids and the Ed25519 signature); missing ones are made with airlock keygen.
# Everything except the ECDSA signature bytes (inside the slot) comes out identical on every run
# with the same airlock version and libzstd.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
AIRLOCK="${AIRLOCK:-.build/debug/airlock}"
[[ -x "$AIRLOCK" ]] || { echo "make-fixtures: $AIRLOCK is not an executable airlock (set AIRLOCK)" >&2; exit 2; }
for tool in jq openssl python3 zstd; do
  command -v "$tool" >/dev/null || { echo "make-fixtures: $tool is required" >&2; exit 2; }
done

PORT=15400
EPOCH=1700000000
KEYS=fixtures/keys
BUNDLE=fixtures/tiny.bundle

mkdir -p "$KEYS"
[[ -f "$KEYS/test-ecdsa.key" ]] || "$AIRLOCK" keygen --type ecdsa-p256 --out "$KEYS/test-ecdsa"
[[ -f "$KEYS/test-ed25519.key" ]] || "$AIRLOCK" keygen --type ed25519 --out "$KEYS/test-ed25519"

trap 'scripts/dev-registry.sh stop fx' EXIT
scripts/dev-registry.sh start fx "$PORT"
scripts/seed.sh "127.0.0.1:$PORT" --plain-http --only agent

SOURCE_DATE_EPOCH="$EPOCH" "$AIRLOCK" pack --image "127.0.0.1:$PORT/acme/agent:1.4.0" \
  --name tiny --version 1.0.0 -o "$BUNDLE" --key "$KEYS/test-ed25519.key"
"$AIRLOCK" sign "$BUNDLE" --key "$KEYS/test-ecdsa.key"
"$AIRLOCK" verify "$BUNDLE" --key "$KEYS/test-ed25519.pub" --key "$KEYS/test-ecdsa.pub"

# The facts a test can check, read from the bundle without airlock.
keyid() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
ECDSA_ID="sha256:$(keyid "$KEYS/test-ecdsa.pub")" ED25519_ID="sha256:$(keyid "$KEYS/test-ed25519.pub")" \
EPOCH="$EPOCH" python3 - "$BUNDLE" >fixtures/tiny.expected.json <<'PY'
import hashlib, io, json, os, struct, subprocess, sys, tarfile

path = sys.argv[1]
data = open(path, "rb").read()
sha = lambda b: "sha256:" + hashlib.sha256(b).hexdigest()
magic, slot_size = struct.unpack_from("<II", data, 0)
assert magic == 0x184D2A5A and slot_size == 65536
slot = json.loads(data[8:8 + slot_size].split(b"\0")[0])
n, = struct.unpack_from("<Q", data, len(data) - 12)
assert data[-4:] == b"ALST"
seek = json.loads(data[len(data) - 12 - n:len(data) - 12])
seek_frame = len(data) - 20 - n
assert struct.unpack_from("<I", data, seek_frame)[0] == 0x184D2A5E
stream = subprocess.run(["zstd", "-qdc", path], capture_output=True, check=True).stdout
tar = tarfile.open(fileobj=io.BytesIO(stream))
members = tar.getmembers()
manifest_bytes = tar.extractfile("airlock-bundle.json").read()
index_bytes = tar.extractfile("index.json").read()
manifest = json.loads(manifest_bytes)
keys = {os.environ["ED25519_ID"]: "test-ed25519", os.environ["ECDSA_ID"]: "test-ecdsa"}
print(json.dumps({
    "comment": "Facts about tiny.bundle (scripts/make-fixtures.sh). The file's own sha256 is not stable: the ECDSA signature in the slot is randomised. Everything else here is.",
    "file": {
        "size": len(data),
        "sha256AfterSlot": sha(data[65544:]),
        "slot": {"offset": 0, "size": 65544, "magic": "0x184D2A5A", "payloadSize": 65536},
        "dataOffset": 65544,
        "seekTable": {"offset": seek_frame, "size": len(data) - seek_frame, "magic": "0x184D2A5E",
                      "jsonSize": n, "footerMagic": "ALST"},
    },
    "tarStream": {"size": len(stream), "sha256": sha(stream),
                  "entries": [m.name + ("/" if m.isdir() and not m.name.endswith("/") else "") for m in members]},
    "created": manifest["created"],
    "mtime": int(os.environ["EPOCH"]),
    "manifest": {"digest": sha(manifest_bytes), "size": len(manifest_bytes), "mediaType": manifest["mediaType"],
                 "formatVersion": manifest["formatVersion"], "name": manifest["name"], "version": manifest["version"]},
    "index": {"digest": sha(index_bytes), "size": len(index_bytes)},
    "images": [{k: i[k] for k in ("refName", "digest", "mediaType", "size", "source", "tag", "platforms", "totalSize")}
               for i in manifest["images"]],
    "blobs": [{k: b[k] for k in ("digest", "size", "mediaType")} for b in manifest["blobs"]],
    "frames": seek["frames"],
    "keys": {"test-ed25519": {"keyID": os.environ["ED25519_ID"], "algorithm": "ed25519"},
             "test-ecdsa": {"keyID": os.environ["ECDSA_ID"], "algorithm": "ecdsa-p256-sha256"}},
    "signatures": [dict({"key": keys[s["keyID"]], "keyID": s["keyID"], "algorithm": s["algorithm"],
                         "manifestDigest": s["manifestDigest"]},
                        **({"signature": s["signature"]} if s["algorithm"] == "ed25519" else {}))
                   for s in slot["signatures"]],
}, indent=2))
PY
echo "wrote $BUNDLE and fixtures/tiny.expected.json"
