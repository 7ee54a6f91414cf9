#!/usr/bin/env python3
"""Push airlock's deterministic sample images into a registry (stdlib-only distribution API client).

usage: seed.py REGISTRY_HOST:PORT [--plain-http | --ca-file F | --insecure]
               [--username U --password P] [--only NAME[,NAME]] [--json] [--dry-run]

Every byte is derived from constants (tar mtimes 0, fixed gzip header, fixed config
"created" stamps, SHA-256-counter "random" data), so digests are identical on every run
and machine. Layers are gzip files made of *stored* deflate blocks: valid gzip for every
reader, but independent of the local zlib build (zlib, zlib-ng and Apple's zlib emit
different compressed bytes for the same input).

Sample set (NAME for --only in brackets):
  [runtime]  acme/runtime   OCI manifests linux/amd64; 7.23.6.0 7.23.6.3 7.23.7.0 7.23.7.1 8.12.0
                            8.12.1 8.12.10 8.13.0-rc.1 8.13.0, latest (= 8.13.0)
  [operator] acme/operator  2.10.1 2.10.2: OCI index -> linux/amd64, linux/arm64/v8
  [agent]    acme/agent     1.4.0: Docker schema 2 manifest linux/amd64
  [legacy]   acme/legacy    3.0: Docker manifest list -> linux/amd64, linux/arm/v7
  [many]     acme/many      1.0.0 ... 1.0.119, all the same tiny OCI manifest
runtime/operator/agent/legacy share one ~256 KiB incompressible base layer.

Output: "repo:tag digest" lines on stdout, or with --json this document on stdout:
  {"registry": "127.0.0.1:5000",
   "tags": {"acme/runtime:8.13.0": "sha256:...", ...},
   "repositories": {"acme/runtime": {"tags": {"8.13.0": "sha256:..."},
                                     "manifests": ["sha256:...", ...],   # incl. index children
                                     "blobs": {"sha256:...": size}}},     # configs + layers
   "manifests": {"sha256:...": {"mediaType": ..., "size": N, "repositories": [...],
                                "platform": "linux/arm64/v8",            # image manifests
                                "config": {"digest", "size", "mediaType"},
                                "layers": [{"digest", "size", "mediaType", "diffID"}],
                                "manifests": [{"digest", "size", "mediaType", "platform"}]}}}  # indexes
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import io
import json
import re
import ssl
import struct
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass, field

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BASE_CREATED = "2023-01-01T00:00:00Z"

RUNTIME_TAGS = [  # (tag, config "created")
    ("7.23.6.0", "2023-02-01T00:00:00Z"),
    ("7.23.6.3", "2023-03-15T00:00:00Z"),
    ("7.23.7.0", "2023-05-02T00:00:00Z"),
    ("7.23.7.1", "2023-06-20T00:00:00Z"),
    ("8.12.0", "2023-09-01T00:00:00Z"),
    ("8.12.1", "2023-10-10T00:00:00Z"),
    ("8.12.10", "2024-01-15T00:00:00Z"),
    ("8.13.0-rc.1", "2024-02-01T00:00:00Z"),
    ("8.13.0", "2024-03-01T00:00:00Z"),
]
RUNTIME_LATEST = "8.13.0"
OPERATOR_TAGS = [("2.10.1", "2024-02-10T00:00:00Z"), ("2.10.2", "2024-03-05T00:00:00Z")]
MANY_TAGS = [f"1.0.{i}" for i in range(120)]


# ---------------------------------------------------------------- deterministic bytes

def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def pseudo_random(seed: bytes, size: int) -> bytes:
    """Incompressible but reproducible bytes: SHA-256 in counter mode."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(seed + struct.pack(">Q", counter)).digest()
        counter += 1
    return bytes(out[:size])


def make_tar(entries: list[tuple]) -> bytes:
    """entries: ("dir", path) | ("file", path, bytes[, mode]) | ("symlink", path, target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for kind, path, *rest in entries:
            info = tarfile.TarInfo(path)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
            data = None
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            elif kind == "file":
                data = rest[0]
                info.size, info.mode = len(data), (rest[1] if len(rest) > 1 else 0o644)
            elif kind == "symlink":
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, rest[0], 0o777
            else:
                raise ValueError(kind)
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def gzip_stored(data: bytes) -> bytes:
    """gzip member with stored (uncompressed) deflate blocks: fixed header, mtime 0, OS 255."""
    out = bytearray(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
    chunks = [data[i:i + 0xFFFF] for i in range(0, len(data), 0xFFFF)] or [b""]
    for i, chunk in enumerate(chunks):
        out.append(1 if i == len(chunks) - 1 else 0)  # BFINAL bit, BTYPE=00 (stored)
        out += struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk
    out += struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return bytes(out)


# ---------------------------------------------------------------- image model

@dataclass
class Blob:
    data: bytes
    media_type: str
    diff_id: str | None = None  # layers only

    @property
    def digest(self) -> str:
        return sha256(self.data)

    @property
    def size(self) -> int:
        return len(self.data)

    def descriptor(self, media_type: str | None = None) -> dict:
        return {"mediaType": media_type or self.media_type, "digest": self.digest, "size": self.size}


@dataclass
class Layer:
    tar: bytes

    def __post_init__(self):
        self.gz = gzip_stored(self.tar)
        self.diff_id = sha256(self.tar)

    def blob(self, media_type: str) -> Blob:
        return Blob(self.gz, media_type, self.diff_id)


@dataclass
class Manifest:
    data: bytes
    media_type: str
    blobs: list[Blob] = field(default_factory=list)          # config first, then layers
    children: list["Manifest"] = field(default_factory=list)  # index / manifest list
    platform: dict | None = None

    @property
    def digest(self) -> str:
        return sha256(self.data)

    @property
    def size(self) -> int:
        return len(self.data)


def platform_str(p: dict) -> str:
    return "/".join(x for x in (p["os"], p["architecture"], p.get("variant")) if x)


def image_config(platform: dict, created: str, layers: list[Layer], cmd: list[str],
                 labels: dict, history: list[str]) -> bytes:
    cfg = {"created": created, "architecture": platform["architecture"]}
    if "variant" in platform:
        cfg["variant"] = platform["variant"]
    cfg["os"] = platform["os"]
    cfg["config"] = {"Env": [PATH_ENV], "Cmd": cmd, "WorkingDir": "/", "Labels": labels}
    cfg["rootfs"] = {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]}
    cfg["history"] = [{"created": BASE_CREATED, "created_by": history[0]}] + \
                     [{"created": created, "created_by": h} for h in history[1:]]
    return canonical_json(cfg)


def image_manifest(docker: bool, platform: dict, created: str, layers: list[Layer], cmd: list[str],
                   labels: dict, history: list[str], annotations: dict | None = None) -> Manifest:
    config = Blob(image_config(platform, created, layers, cmd, labels, history),
                  DOCKER_CONFIG if docker else OCI_CONFIG)
    layer_blobs = [layer.blob(DOCKER_LAYER if docker else OCI_LAYER) for layer in layers]
    doc = {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
           "config": config.descriptor(), "layers": [b.descriptor() for b in layer_blobs]}
    if annotations and not docker:
        doc["annotations"] = annotations
    return Manifest(canonical_json(doc), doc["mediaType"], [config] + layer_blobs, platform=platform)


def image_index(docker: bool, children: list[Manifest], annotations: dict | None = None) -> Manifest:
    doc = {"schemaVersion": 2, "mediaType": DOCKER_LIST if docker else OCI_INDEX,
           "manifests": [{"mediaType": c.media_type, "digest": c.digest, "size": c.size,
                          "platform": c.platform} for c in children]}
    if annotations and not docker:
        doc["annotations"] = annotations
    return Manifest(canonical_json(doc), doc["mediaType"], children=children)


AMD64 = {"architecture": "amd64", "os": "linux"}
ARM64 = {"architecture": "arm64", "os": "linux", "variant": "v8"}
ARMV7 = {"architecture": "arm", "os": "linux", "variant": "v7"}


def base_layer() -> Layer:
    return Layer(make_tar([
        ("dir", "etc"),
        ("file", "etc/os-release", b'NAME="Acme Base"\nID=acme\nVERSION_ID=1.0\n'),
        ("dir", "opt"),
        ("dir", "opt/acme"),
        ("dir", "opt/acme/base"),
        ("file", "opt/acme/base/README", b"Shared airlock sample base layer.\n"),
        ("file", "opt/acme/base/entropy.bin", pseudo_random(b"airlock-sample-base-v1", 256 * 1024)),
    ]))


def app_layer(app: str, version: str, platform: dict) -> Layer:
    """Small version/arch-specific layer: a VERSION file, a launcher script and a symlink."""
    pstr = platform_str(platform)
    return Layer(make_tar([
        ("dir", "opt"),
        ("dir", "opt/acme"),
        ("dir", f"opt/acme/{app}"),
        ("file", f"opt/acme/{app}/VERSION", f"{app} {version} {pstr}\n".encode()),
        ("dir", f"opt/acme/{app}/bin"),
        ("file", f"opt/acme/{app}/bin/acme-{app}",
         f"#!/bin/sh\necho 'acme-{app} {version} ({pstr})'\n".encode(), 0o755),
        ("symlink", f"opt/acme/{app}-current", app),
    ]))


def labels(app: str, version: str) -> dict:
    return {"org.opencontainers.image.title": f"acme-{app}",
            "org.opencontainers.image.version": version,
            "org.opencontainers.image.vendor": "Acme (airlock sample)"}


def single(app: str, version: str, created: str, platform: dict, base: Layer, docker: bool) -> Manifest:
    layers = [base, app_layer(app, version, platform)]
    return image_manifest(docker, platform, created, layers, [f"/opt/acme/{app}/bin/acme-{app}"],
                          labels(app, version),
                          ["ADD acme-base.tar / # airlock sample base",
                           f"ADD acme-{app}-{version}.tar / # {platform_str(platform)}"],
                          None if docker else {"org.opencontainers.image.version": version})


def build_samples() -> dict[str, list[tuple[str, list[str], Manifest]]]:
    """name -> [(repository, [tags], manifest)] in push order."""
    base = base_layer()
    samples: dict[str, list] = {}

    runtime = []
    for tag, created in RUNTIME_TAGS:
        tags = [tag] + (["latest"] if tag == RUNTIME_LATEST else [])
        runtime.append(("acme/runtime", tags, single("runtime", tag, created, AMD64, base, False)))
    samples["runtime"] = runtime

    samples["operator"] = [
        ("acme/operator", [tag], image_index(False, [single("operator", tag, created, p, base, False)
                                                     for p in (AMD64, ARM64)],
                                             {"org.opencontainers.image.version": tag}))
        for tag, created in OPERATOR_TAGS]

    samples["agent"] = [("acme/agent", ["1.4.0"],
                         single("agent", "1.4.0", "2023-11-20T00:00:00Z", AMD64, base, True))]

    samples["legacy"] = [("acme/legacy", ["3.0"],
                          image_index(True, [single("legacy", "3.0", "2022-06-01T00:00:00Z", p, base, True)
                                             for p in (AMD64, ARMV7)]))]

    tiny = Layer(make_tar([("file", "hello.txt", b"hello from acme/many\n")]))
    samples["many"] = [("acme/many", MANY_TAGS,
                        image_manifest(False, AMD64, BASE_CREATED, [tiny], ["/bin/true"],
                                       labels("many", "1.0"), ["ADD hello.txt /"]))]
    return samples


# ---------------------------------------------------------------- registry client

class RegistryError(Exception):
    pass


class Registry:
    """Tiny distribution API client: one keep-alive connection, Basic and Bearer challenges."""

    def __init__(self, host: str, plain_http: bool, context: ssl.SSLContext | None,
                 username: str | None, password: str | None):
        self.host, self.plain_http, self.context = host, plain_http, context
        self.username, self.password = username, password
        self.conn: http.client.HTTPConnection | None = None
        self.basic: str | None = None              # set once the registry asked for Basic
        self.tokens: dict[str, str] = {}           # repository ("" for /v2/) -> bearer token
        self.token_scopes: dict[str, tuple] = {}   # what we asked for, to detect denied scopes

    def _connect(self) -> http.client.HTTPConnection:
        if self.conn is None:
            if self.plain_http:
                self.conn = http.client.HTTPConnection(self.host, timeout=60)
            else:
                self.conn = http.client.HTTPSConnection(self.host, timeout=60, context=self.context)
        return self.conn

    def _send(self, method: str, path: str, body: bytes | None, headers: dict):
        for attempt in (1, 2):  # one reconnect if the keep-alive connection went stale
            conn = self._connect()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, resp.headers, data
            except (http.client.HTTPException, ConnectionError, BrokenPipeError):
                conn.close()
                self.conn = None
                if attempt == 2:
                    raise

    def _auth_header(self, repo: str) -> str | None:
        if repo in self.tokens:
            return "Bearer " + self.tokens[repo]
        return self.basic

    def request(self, method: str, path: str, repo: str = "", body: bytes | None = None,
                headers: dict | None = None, expect=(200, 201, 202, 204)) -> tuple[int, dict, bytes]:
        for _ in range(3):
            h = {"User-Agent": "airlock-seed/1", **(headers or {})}
            auth = self._auth_header(repo)
            if auth:
                h["Authorization"] = auth
            status, resp_headers, data = self._send(method, path, body, h)
            if status != 401:
                break
            self._answer_challenge(resp_headers.get("WWW-Authenticate", ""), repo, data)
        if status not in expect:
            raise RegistryError(f"{method} {path}: HTTP {status}: {data[:500].decode('utf-8', 'replace')}")
        return status, resp_headers, data

    def _answer_challenge(self, header: str, repo: str, body: bytes) -> None:
        scheme, _, rest = header.partition(" ")
        params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if scheme.lower() == "basic":
            if self.username is None:
                raise RegistryError("registry wants Basic auth: pass --username/--password")
            if self.basic:
                raise RegistryError(f"registry rejected the credentials for {self.username!r}")
            pair = f"{self.username}:{self.password or ''}".encode()
            self.basic = "Basic " + base64.b64encode(pair).decode()
        elif scheme.lower() == "bearer":
            wanted: dict[str, set] = {}  # "type:name" -> actions; merges the challenge's scope with ours
            extra = [f"repository:{repo}:pull,push"] if repo else []  # seeding: ask for push up front
            for scope in params.get("scope", "").split() + extra:
                resource, _, actions = scope.rpartition(":")
                wanted.setdefault(resource, set()).update(a for a in actions.split(",") if a)
            scopes = [f"{r}:{','.join(sorted(a))}" for r, a in sorted(wanted.items())]
            key = tuple(scopes)
            if self.token_scopes.get(repo) == key:
                hint = "" if self.username else " (anonymous tokens are pull-only: pass --username/--password)"
                raise RegistryError(f"token for {key} was not sufficient{hint}: "
                                    f"{body[:300].decode('utf-8', 'replace')}")
            self.tokens[repo] = self._fetch_token(params, scopes)
            self.token_scopes[repo] = key
        else:
            raise RegistryError(f"unsupported auth challenge: {header!r}")

    def _fetch_token(self, params: dict, scopes: list[str]) -> str:
        realm = params.get("realm")
        if not realm:
            raise RegistryError("Bearer challenge without realm")
        query = [("service", params["service"])] if "service" in params else []
        query += [("scope", s) for s in scopes]
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(query)
        req = urllib.request.Request(url, headers={"User-Agent": "airlock-seed/1"})
        if self.username is not None:
            pair = f"{self.username}:{self.password or ''}".encode()
            req.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
        try:
            with urllib.request.urlopen(req, timeout=30, context=self.context) as resp:
                doc = json.load(resp)
        except urllib.error.HTTPError as e:
            raise RegistryError(f"token endpoint {realm}: HTTP {e.code}") from None
        token = doc.get("token") or doc.get("access_token")
        if not token:
            raise RegistryError(f"token endpoint {realm} returned no token")
        return token

    # -- distribution API operations

    def ping(self) -> None:
        self.request("GET", "/v2/")

    def push_blob(self, repo: str, blob: Blob) -> bool:
        """Returns True if uploaded, False if the registry already had it."""
        status, _, _ = self.request("HEAD", f"/v2/{repo}/blobs/{blob.digest}", repo, expect=(200, 404))
        if status == 200:
            return False
        _, headers, _ = self.request("POST", f"/v2/{repo}/blobs/uploads/", repo, body=b"", expect=(202,))
        location = urllib.parse.urlsplit(headers.get("Location", ""))
        if location.netloc and location.netloc != self.host:
            raise RegistryError(f"upload redirected to another host: {headers.get('Location')}")
        query = location.query + ("&" if location.query else "") + urllib.parse.urlencode({"digest": blob.digest})
        self.request("PUT", f"{location.path}?{query}", repo, body=blob.data,
                     headers={"Content-Type": "application/octet-stream"}, expect=(201,))
        return True

    def push_manifest(self, repo: str, ref: str, manifest: Manifest) -> None:
        _, headers, _ = self.request("PUT", f"/v2/{repo}/manifests/{ref}", repo, body=manifest.data,
                                     headers={"Content-Type": manifest.media_type}, expect=(201,))
        got = headers.get("Docker-Content-Digest")
        if got and got != manifest.digest:
            raise RegistryError(f"{repo}:{ref}: registry computed {got}, expected {manifest.digest}")


# ---------------------------------------------------------------- push + summary

def all_blobs(m: Manifest) -> list[Blob]:
    return m.blobs + [b for c in m.children for b in all_blobs(c)]


def push_sample(reg: Registry, repo: str, tags: list[str], m: Manifest, stats: dict) -> None:
    seen = set()
    for blob in all_blobs(m):
        if blob.digest in seen:
            continue
        seen.add(blob.digest)
        stats["uploaded" if reg.push_blob(repo, blob) else "skipped"] += 1
    for child in m.children:  # children must exist before the index that references them
        reg.push_manifest(repo, child.digest, child)
    for tag in tags:
        reg.push_manifest(repo, tag, m)


def describe(summary: dict, repo: str, m: Manifest) -> None:
    entry = summary["manifests"].setdefault(m.digest, {"mediaType": m.media_type, "size": m.size,
                                                       "repositories": []})
    if repo not in entry["repositories"]:
        entry["repositories"].append(repo)
    repo_doc = summary["repositories"][repo]
    if m.digest not in repo_doc["manifests"]:
        repo_doc["manifests"].append(m.digest)
    if m.children:
        entry["manifests"] = [{"digest": c.digest, "size": c.size, "mediaType": c.media_type,
                               "platform": platform_str(c.platform)} for c in m.children]
        for c in m.children:
            describe(summary, repo, c)
        return
    config, layers = m.blobs[0], m.blobs[1:]
    entry["platform"] = platform_str(m.platform)
    entry["config"] = {"digest": config.digest, "size": config.size, "mediaType": config.media_type}
    entry["layers"] = [{"digest": b.digest, "size": b.size, "mediaType": b.media_type, "diffID": b.diff_id}
                       for b in layers]
    for b in m.blobs:
        repo_doc["blobs"][b.digest] = b.size


def main() -> int:
    names = ["runtime", "operator", "agent", "legacy", "many"]
    p = argparse.ArgumentParser(description="Push airlock's deterministic sample images.",
                                epilog="sample names: " + ", ".join(names))
    p.add_argument("registry", nargs="?", help="HOST:PORT, e.g. 127.0.0.1:5000")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--plain-http", action="store_true", help="speak http:// instead of https://")
    tls.add_argument("--ca-file", help="PEM CA bundle to verify the registry (and token realm) with")
    tls.add_argument("--insecure", action="store_true", help="https without certificate verification")
    p.add_argument("--username")
    p.add_argument("--password")
    p.add_argument("--only", help="comma-separated subset of: " + ",".join(names))
    p.add_argument("--json", action="store_true", help="write the summary as JSON to stdout")
    p.add_argument("--dry-run", action="store_true", help="compute digests, push nothing")
    args = p.parse_args()
    if not args.registry and not args.dry_run:
        p.error("REGISTRY is required (unless --dry-run)")
    if args.registry and "/" in args.registry:
        p.error("REGISTRY is HOST:PORT (no scheme or path); use --plain-http for http://")
    if (args.username is None) != (args.password is None):
        p.error("--username and --password go together")

    selected = names
    if args.only:
        raw = [n.strip() for n in args.only.split(",") if n.strip()]
        selected = [n[len("acme/"):] if n.startswith("acme/") else n for n in raw]
        unknown = [n for n in selected if n not in names]
        if unknown:
            p.error(f"unknown sample(s) {unknown}; choose from {names}")

    samples = build_samples()
    summary = {"registry": args.registry or "", "tags": {}, "repositories": {}, "manifests": {}}
    for name in names:
        if name not in selected:
            continue
        for repo, tags, m in samples[name]:
            repo_doc = summary["repositories"].setdefault(repo, {"tags": {}, "manifests": [], "blobs": {}})
            for tag in tags:
                summary["tags"][f"{repo}:{tag}"] = m.digest
                repo_doc["tags"][tag] = m.digest
            describe(summary, repo, m)

    if not args.dry_run:
        context = None
        if not args.plain_http:
            context = ssl.create_default_context(cafile=args.ca_file)
            if args.insecure:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        reg = Registry(args.registry, args.plain_http, context, args.username, args.password)
        try:
            reg.ping()
            for name in names:
                if name not in selected:
                    continue
                for repo, tags, m in samples[name]:
                    stats = {"uploaded": 0, "skipped": 0}
                    push_sample(reg, repo, tags, m, stats)
                    shown = tags[0] + (f" (+{len(tags) - 1} more tags)" if len(tags) > 1 else "")
                    print(f"seed: pushed {repo}:{shown} "
                          f"(blobs uploaded {stats['uploaded']}, already present {stats['skipped']})",
                          file=sys.stderr)
        except (RegistryError, OSError, http.client.HTTPException) as e:
            print(f"seed: error: {e}", file=sys.stderr)
            return 1

    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        sys.stdout.write("\n")
        out = sys.stderr
    else:
        out = sys.stdout
    # Human summary; acme/many's 120 identical tags collapse into one line.
    for repo, doc in summary["repositories"].items():
        tags = list(doc["tags"].items())
        if repo == "acme/many" and len(tags) > 3:
            print(f"{repo}:{{{tags[0][0]} … {tags[-1][0]}}} ({len(tags)} tags)  {tags[0][1]}", file=out)
            continue
        for tag, digest in tags:
            print(f"{repo}:{tag}  {digest}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
