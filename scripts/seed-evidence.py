#!/usr/bin/env python3
"""Push images that carry supply-chain evidence, made without airlock (stdlib + the openssl CLI).

usage: seed-evidence.py REGISTRY_HOST:PORT --keys DIR [--plain-http] [--referrers-api]

Keys: DIR/signer.key|.pub and DIR/other.key|.pub (ECDSA P-256, made with openssl if absent).
Signatures follow cosign's published format (specs/SIGNATURE_SPEC.md): a simple-signing payload
layer, its ECDSA-P256/SHA-256 DER signature from `openssl dgst -sha256 -sign`, base64 in the layer
annotation dev.cosignproject.cosign/signature, under the tag sha256-<hex>.sig.

Images (repository evidence/*, tag 1.0):
  signed       cosign .sig by signer; an SPDX SBOM referrer (subject = the image) listed in the
               referrers tag schema index sha256-<hex> (omitted with --referrers-api when the
               registry answers OCI-Subject); a cosign .sig on the SBOM (evidence about evidence);
               a Notation-style signature referrer (config application/vnd.cncf.notary.signature)
  unsigned     no evidence
  othersig     cosign .sig by the other key
  wrongdigest  cosign .sig by signer whose payload names evidence/signed's digest
  buildx       BuildKit-style index: linux/amd64, linux/arm64 and an attestation manifest for each

Output (stdout, JSON): {"images": {"evidence/signed:1.0": digest, ...},
  "evidence": {"signature", "sbom", "sbomSignature", "notation", "referrersIndex",
               "attestation-amd64", "attestation-arm64": digest}, "keys": {...}}
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed  # noqa: E402  (the sample seeder's registry client and image model)

EMPTY = seed.Blob(b"{}", "application/vnd.oci.empty.v1+json")
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"


def compact(obj) -> bytes:
    """Go's json.Marshal layout: fields in declaration order, no spaces (not sorted)."""
    return json.dumps(obj, separators=(",", ":")).encode()


def keypair(directory: str, name: str) -> tuple[str, str]:
    key, pub = os.path.join(directory, f"{name}.key"), os.path.join(directory, f"{name}.pub")
    if not os.path.exists(key):
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key], check=True)
        subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-out", pub], check=True, stderr=subprocess.DEVNULL)
    return key, pub


def sign(key: str, payload: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        data, sig = os.path.join(tmp, "payload.json"), os.path.join(tmp, "payload.sig")
        with open(data, "wb") as f:
            f.write(payload)
        subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, "-out", sig, data], check=True)
        with open(sig, "rb") as f:
            return base64.b64encode(f.read()).decode()


def cosign_signature(key: str, reference: str, digest: str) -> seed.Manifest:
    payload = ('{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},'
               '"type":"cosign container image signature"},"optional":null}' % (reference, digest)).encode()
    layer = seed.Blob(payload, SIMPLE_SIGNING)
    config = seed.Blob(compact({"architecture": "", "os": "", "config": {},
                                "rootfs": {"type": "layers", "diff_ids": [layer.digest]}}), seed.OCI_CONFIG)
    doc = {"schemaVersion": 2, "mediaType": seed.OCI_MANIFEST, "config": config.descriptor(),
           "layers": [{**layer.descriptor(), "annotations": {"dev.cosignproject.cosign/signature": sign(key, payload)}}]}
    return seed.Manifest(compact(doc), seed.OCI_MANIFEST, [config, layer])


def referrer(subject: seed.Manifest, artifact_type: str | None, config: seed.Blob, layer: seed.Blob,
             annotations: dict) -> seed.Manifest:
    doc = {"schemaVersion": 2, "mediaType": seed.OCI_MANIFEST}
    if artifact_type:
        doc["artifactType"] = artifact_type
    doc.update({"config": config.descriptor(), "layers": [layer.descriptor()],
                "subject": {"mediaType": subject.media_type, "digest": subject.digest, "size": subject.size},
                "annotations": annotations})
    return seed.Manifest(compact(doc), seed.OCI_MANIFEST, [config, layer])


def image(name: str, platform: dict) -> seed.Manifest:
    layer = seed.Layer(seed.make_tar([("file", f"{name}.txt", f"evidence sample {name} {seed.platform_str(platform)}\n".encode())]))
    return seed.image_manifest(False, platform, seed.BASE_CREATED, [layer], ["/bin/true"], {}, [f"ADD {name}.txt /"])


def attestation(child: seed.Manifest) -> seed.Manifest:
    statement = compact({"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://spdx.dev/Document",
                         "subject": [{"name": "evidence/buildx", "digest": {"sha256": child.digest[7:]}}],
                         "predicate": {"spdxVersion": "SPDX-2.3", "name": seed.platform_str(child.platform)}})
    layer = seed.Blob(statement, "application/vnd.in-toto+json")
    config = seed.Blob(b"{}", "application/vnd.docker.attestation.config.v1+json")
    doc = {"schemaVersion": 2, "mediaType": seed.OCI_MANIFEST, "config": config.descriptor(),
           "layers": [{**layer.descriptor(), "annotations": {"in-toto.io/predicate-type": "https://spdx.dev/Document"}}]}
    return seed.Manifest(compact(doc), seed.OCI_MANIFEST, [config, layer])


def buildx_index(children: list[seed.Manifest], attestations: list[seed.Manifest]) -> seed.Manifest:
    manifests = [{"mediaType": c.media_type, "digest": c.digest, "size": c.size, "platform": c.platform} for c in children]
    manifests += [{"mediaType": a.media_type, "digest": a.digest, "size": a.size,
                   "annotations": {"vnd.docker.reference.digest": c.digest, "vnd.docker.reference.type": "attestation-manifest"},
                   "platform": {"architecture": "unknown", "os": "unknown"}} for a, c in zip(attestations, children)]
    return seed.Manifest(compact({"schemaVersion": 2, "mediaType": seed.OCI_INDEX, "manifests": manifests}), seed.OCI_INDEX,
                         children=children + attestations)


def push(reg: seed.Registry, repo: str, ref: str, m: seed.Manifest) -> dict:
    for child in m.children:
        push(reg, repo, child.digest, child)
    for blob in m.blobs:
        reg.push_blob(repo, blob)
    _, headers, _ = reg.request("PUT", f"/v2/{repo}/manifests/{ref}", repo, body=m.data,
                                headers={"Content-Type": m.media_type}, expect=(201,))
    return headers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("host")
    parser.add_argument("--keys", required=True)
    parser.add_argument("--plain-http", action="store_true")
    parser.add_argument("--referrers-api", action="store_true", help="skip the tag index when the registry indexes subjects")
    args = parser.parse_args()
    os.makedirs(args.keys, exist_ok=True)
    signer, signer_pub = keypair(args.keys, "signer")
    other, other_pub = keypair(args.keys, "other")
    reg = seed.Registry(args.host, args.plain_http, None, None, None)
    out = {"images": {}, "evidence": {}, "keys": {"signer": signer_pub, "other": other_pub}}

    signed = image("signed", seed.AMD64)
    push(reg, "evidence/signed", "1.0", signed)
    out["images"]["evidence/signed:1.0"] = signed.digest
    ref = f"{args.host}/evidence/signed"
    sig = cosign_signature(signer, ref, signed.digest)
    push(reg, "evidence/signed", f"sha256-{signed.digest[7:]}.sig", sig)
    spdx = seed.Blob(compact({"spdxVersion": "SPDX-2.3", "name": "evidence/signed", "packages": []}), "application/spdx+json")
    sbom = referrer(signed, "application/spdx+json", EMPTY, spdx, {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"})
    notation_envelope = seed.Blob(b'{"payload":"e30","protected":"e30","signature":"AA"}', "application/jose+json")
    notation = referrer(signed, None, seed.Blob(b"{}", "application/vnd.cncf.notary.signature"), notation_envelope,
                        {"io.cncf.notary.x509chain.thumbprint#S256": "[\"00\"]"})
    indexed = False
    for m in (sbom, notation):
        headers = push(reg, "evidence/signed", m.digest, m)
        indexed = indexed or bool(headers.get("OCI-Subject"))
    if not (args.referrers_api and indexed):
        entries = [{"mediaType": m.media_type, "digest": m.digest, "size": m.size, "annotations": a, "artifactType": t}
                   for m, a, t in ((sbom, {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}, "application/spdx+json"),
                                   (notation, {"io.cncf.notary.x509chain.thumbprint#S256": "[\"00\"]"}, "application/vnd.cncf.notary.signature"))]
        index = seed.Manifest(compact({"schemaVersion": 2, "mediaType": seed.OCI_INDEX, "manifests": entries}), seed.OCI_INDEX)
        push(reg, "evidence/signed", f"sha256-{signed.digest[7:]}", index)
        out["evidence"]["referrersIndex"] = index.digest
    sbom_sig = cosign_signature(signer, ref, sbom.digest)
    push(reg, "evidence/signed", f"sha256-{sbom.digest[7:]}.sig", sbom_sig)
    out["evidence"].update(signature=sig.digest, sbom=sbom.digest, sbomSignature=sbom_sig.digest, notation=notation.digest)

    unsigned = image("unsigned", seed.AMD64)
    push(reg, "evidence/unsigned", "1.0", unsigned)
    out["images"]["evidence/unsigned:1.0"] = unsigned.digest
    for name, key, named in (("othersig", other, None), ("wrongdigest", signer, signed.digest)):
        m = image(name, seed.AMD64)
        push(reg, f"evidence/{name}", "1.0", m)
        push(reg, f"evidence/{name}", f"sha256-{m.digest[7:]}.sig", cosign_signature(key, f"{args.host}/evidence/{name}", named or m.digest))
        out["images"][f"evidence/{name}:1.0"] = m.digest

    children = [image("buildx", seed.AMD64), image("buildx", seed.ARM64)]
    attestations = [attestation(c) for c in children]
    index = buildx_index(children, attestations)
    push(reg, "evidence/buildx", "1.0", index)
    out["images"]["evidence/buildx:1.0"] = index.digest
    out["evidence"]["attestation-amd64"], out["evidence"]["attestation-arm64"] = attestations[0].digest, attestations[1].digest
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
