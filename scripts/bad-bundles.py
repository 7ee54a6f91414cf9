#!/usr/bin/env python3
"""Generates a corpus of damaged and hostile airlock bundles (python3 stdlib + the zstd and openssl CLIs).

  python3 scripts/bad-bundles.py BUNDLE SIGNING_KEY.pem OUTDIR

BUNDLE is a valid signed bundle (format-spec/bundle-format.md); SIGNING_KEY is the PKCS#8 PEM private
key (ECDSA P-256 or Ed25519) of one of its signers, e.g. fixtures/tiny.bundle with
fixtures/keys/test-ed25519.key. Writes OUTDIR/<name>.bundle for every case and OUTDIR/cases.json, an
array of

  {"name", "file", "what", "signed", "status", "phrase"}

- "file": the case's file name, relative to OUTDIR;
- "signed": true when the case carries a hostile manifest re-signed with SIGNING_KEY (its slot then
  holds only that signature), so that it passes the signature check and reaches the later checks;
  false cases keep BUNDLE's slot (or damage it), so any signature over a changed manifest is stale;
- "status": the exit status `airlock verify FILE --key PUB` must give, PUB being SIGNING_KEY's
  public key (3 for every damaged or hostile case, 0 for the few that must be accepted); the same
  holds for `verify -` on standard input and for `unpack FILE --to-dir NEW_DIR --key PUB`;
- "phrase": a short substring the one-line error message must contain, compared case-insensitively,
  or "" when several messages are acceptable.

Output is deterministic (seeded randomness, Ed25519 and RFC 6979 ECDSA signatures), so the same inputs
give byte-identical files. No file is over about 3 MiB, except zstd-ratio-bomb.bundle, which is
small but decompresses to 1 GiB of zeros. Some cases hold tar entries named /etc/passwd, ../evil,
symbolic links and devices: never extract a case with tar, least of all as root.
"""
import base64
import copy
import hashlib
import hmac
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

SLOT_PAYLOAD = 65536
SLOT_FRAME = 8 + SLOT_PAYLOAD
SIG_MAGIC = 0x184D2A5A
SEEK_MAGIC = 0x184D2A5E
ZSTD_MAGIC = 0xFD2FB528
FRAME_MAX = 4 << 20
MIB = 1 << 20
GIB = 1 << 30
INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)

MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"


def fail(message):
    sys.exit(f"bad-bundles.py: {message}")


def run(args, data=None):
    result = subprocess.run(args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        fail(f"{' '.join(args)} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def u32(data, offset):
    return struct.unpack_from("<I", data, offset)[0]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def digest(data):
    return "sha256:" + sha256(data)


# ---------------------------------------------------------------------------------------------
# zstd: frame walking, XXH64 and hand-built frames (raw and RLE blocks), CLI compression

def frame_length(data, pos):
    """Length of the zstd or skippable frame starting at pos."""
    magic = u32(data, pos)
    if magic & 0xFFFFFFF0 == 0x184D2A50:
        return 8 + u32(data, pos + 4)
    if magic != ZSTD_MAGIC:
        fail(f"no zstd frame at offset {pos}")
    fhd = data[pos + 4]
    single = (fhd >> 5) & 1
    p = pos + 5 + (0 if single else 1) + [0, 1, 2, 4][fhd & 3]
    p += [1 if single else 0, 2, 4, 8][fhd >> 6]
    while True:
        header = data[p] | data[p + 1] << 8 | data[p + 2] << 16
        p += 3 + (1 if (header >> 1) & 3 == 1 else header >> 3)
        if header & 1:
            break
    return p + (4 if (fhd >> 2) & 1 else 0) - pos


_P1, _P2, _P3, _P4, _P5 = (11400714785074694791, 14029467366897019727, 1609587929392839161,
                           9650029242287828579, 2870177450012600261)
_M64 = (1 << 64) - 1


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & _M64


def _round(acc, lane):
    return _rotl((acc + lane * _P2) & _M64, 31) * _P1 & _M64


def xxh64(data, seed=0):
    n, p = len(data), 0
    if n >= 32:
        v1, v2, v3, v4 = (seed + _P1 + _P2) & _M64, (seed + _P2) & _M64, seed, (seed - _P1) & _M64
        for a, b, c, d in struct.iter_unpack("<4Q", memoryview(data)[: n - n % 32]):
            v1, v2, v3, v4 = _round(v1, a), _round(v2, b), _round(v3, c), _round(v4, d)
        p = n - n % 32
        h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & _M64
        for v in (v1, v2, v3, v4):
            h = ((h ^ _round(0, v)) * _P1 + _P4) & _M64
    else:
        h = (seed + _P5) & _M64
    h = (h + n) & _M64
    while p + 8 <= n:
        h = (_rotl(h ^ _round(0, struct.unpack_from("<Q", data, p)[0]), 27) * _P1 + _P4) & _M64
        p += 8
    if p + 4 <= n:
        h = (_rotl(h ^ (struct.unpack_from("<I", data, p)[0] * _P1 & _M64), 23) * _P2 + _P3) & _M64
        p += 4
    while p < n:
        h = _rotl(h ^ (data[p] * _P5 & _M64), 11) * _P1 & _M64
        p += 1
    h ^= h >> 33
    h = h * _P2 & _M64
    h ^= h >> 29
    h = h * _P3 & _M64
    return h ^ (h >> 32)


def raw_frame(content, window_log=22, fcs=-1, checksum=True, dict_id=None, reserved_bit=False):
    """A zstd frame of raw (stored) blocks: window 2^window_log (not single-segment), frame content
    size `fcs` (-1: the true size, None: absent), optional checksum, dictionary id, reserved bit."""
    fhd = (3 << 6 if fcs is not None else 0) | (4 if checksum else 0) | (8 if reserved_bit else 0)
    if dict_id is not None:
        fhd |= 3
    out = bytearray(struct.pack("<IB", ZSTD_MAGIC, fhd))
    out.append((window_log - 10) << 3)
    if dict_id is not None:
        out += struct.pack("<I", dict_id)
    if fcs is not None:
        out += struct.pack("<Q", len(content) if fcs == -1 else fcs)
    block = min(128 << 10, 1 << window_log)
    pos = 0
    while True:
        piece = content[pos:pos + block]
        pos += len(piece)
        last = pos >= len(content)
        out += struct.pack("<I", len(piece) << 3 | int(last))[:3] + piece
        if last:
            break
    if checksum:
        out += struct.pack("<I", xxh64(content) & 0xFFFFFFFF)
    return bytes(out)


def rle_zero_frame(size, window_log=17):
    """A frame of RLE blocks of zeros: a few bytes per 128 KiB, content size declared, no checksum."""
    out = bytearray(struct.pack("<IBB", ZSTD_MAGIC, 3 << 6, (window_log - 10) << 3))
    out += struct.pack("<Q", size)
    block = 1 << 17
    remaining = size
    while remaining > 0:
        piece = min(block, remaining)
        remaining -= piece
        out += struct.pack("<I", piece << 3 | 1 << 1 | int(remaining == 0))[:3] + b"\0"
    return bytes(out)


_compressed = {}


def compress(data, level=3):
    """One zstd frame as airlock writes it (content size, checksum, windowLog 22). Frames of the
    input bundle are reused byte for byte when their content is unchanged."""
    key = hashlib.sha256(data).digest()
    if key not in _compressed:
        _compressed[key] = run(["zstd", "-q", "-c", f"-{level}", "--zstd=wlog=22", f"--stream-size={len(data)}"], data)
    return _compressed[key]


def skippable(magic, payload):
    return struct.pack("<II", magic, len(payload)) + payload


# ---------------------------------------------------------------------------------------------
# tar

def _size_field(value):
    """12 bytes: 11 octal digits and a space, or base-256 (GNU) when it does not fit or is negative."""
    if 0 <= value < 8 ** 11:
        return b"%011o " % value
    return bytes([0x80 if value >= 0 else 0xFF]) + (value % (1 << 88)).to_bytes(11, "big")


class Entry:
    """One tar entry. `size` overrides the declared size (default len(data)); `pax` adds a pax
    extended header with these records; `gnu_longname` adds a GNU 'L' header."""

    def __init__(self, name, data=b"", type="0", size=None, linkname="", pax=None, gnu_longname=None,
                 devmajor=0, devminor=0, mtime=None, header_edit=None):
        self.name, self.data, self.type, self.size = name, data, type, size
        self.linkname, self.pax, self.gnu_longname = linkname, pax, gnu_longname
        self.devmajor, self.devminor, self.mtime, self.header_edit = devmajor, devminor, mtime, header_edit

    def declared(self):
        return len(self.data) if self.size is None else self.size


def tar_header(name, size, type="0", linkname="", mtime=0, devmajor=0, devminor=0):
    h = bytearray(512)
    raw = name.encode() if isinstance(name, str) else name
    h[0:len(raw[:100])] = raw[:100]
    h[100:108] = b"000755 \0" if type == "5" else b"000644 \0"
    h[108:116] = b"000000 \0"
    h[116:124] = b"000000 \0"
    h[124:136] = _size_field(size)
    h[136:148] = b"%011o " % mtime if 0 <= mtime < 8 ** 11 else b"77777777777 "
    h[148:156] = b" " * 8
    h[156] = ord(type)
    link = linkname.encode()[:100]
    h[157:157 + len(link)] = link
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[329:337] = b"%06o \0" % devmajor
    h[337:345] = b"%06o \0" % devminor
    return rechecksum(h)


def rechecksum(h):
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return h


def _pad(data):
    return data + b"\0" * (-len(data) % 512)


def _pax_data(records):
    out = b""
    for key, value in records:
        body = f" {key}={value}\n".encode()
        length = len(body) + 1
        while len(str(length)) + len(body) != length:
            length += 1
        out += str(length).encode() + body
    return out


def serialize(entries, mtime):
    """Tar bytes of the entries (no end marker) and (name, type, data offset, declared size) of each."""
    out = bytearray()
    records = []
    for e in entries:
        if e.pax is not None:
            payload = _pax_data(e.pax)
            out += tar_header("PaxHeader/" + e.name[:80], len(payload), "x", mtime=mtime) + _pad(payload)
        if e.gnu_longname is not None:
            payload = e.gnu_longname.encode() + b"\0"
            out += tar_header("././@LongLink", len(payload), "L", mtime=0) + _pad(payload)
        header = tar_header(e.name, e.declared(), e.type, e.linkname, mtime if e.mtime is None else e.mtime,
                            e.devmajor, e.devminor)
        if e.header_edit:
            e.header_edit(header)
        out += header
        records.append((e.name if e.gnu_longname is None else e.gnu_longname, e.type, len(out), e.declared()))
        out += _pad(e.data)
    return bytes(out), records


def parse_tar(stream):
    """Entries of an airlock tar stream: (name, type, header offset, data offset, size), end offset."""
    entries, pos, pax = [], 0, {}
    while pos + 512 <= len(stream):
        block = stream[pos:pos + 512]
        if block == b"\0" * 512:
            return entries, pos
        name = block[0:100].rstrip(b"\0").decode()
        prefix = block[345:500].rstrip(b"\0").decode()
        if prefix:
            name = prefix + "/" + name
        field = block[124:136]
        size = int.from_bytes(field[1:], "big") if field[0] & 0x80 else int(field.strip(b" \0") or b"0", 8)
        kind = chr(block[156])
        start = pos + 512
        if kind == "x":
            for line in stream[start:start + size].decode().splitlines():
                key, _, value = line.split(" ", 1)[1].partition("=")
                pax[key] = value
        else:
            name = pax.get("path", name)
            size = int(pax.get("size", size))
            entries.append((name, kind, pos, start, size))
            pax = {}
        pos = start + size + (-size % 512)
    fail("the tar stream has no end-of-archive marker")


# ---------------------------------------------------------------------------------------------
# bundle assembly

class Group:
    """A run of the tar stream cut into its own frames: tar entries, or raw bytes, compressed with
    `level`, or by `frame` (bytes -> one frame) for hand-built frames, or `frames` given outright as
    [(compressed, decompressed size)]."""

    def __init__(self, entries=None, raw=None, level=3, frame=None, frames=None, chunk=FRAME_MAX, tail=b""):
        self.entries, self.raw, self.level, self.frame, self.frames, self.chunk = entries, raw, level, frame, frames, chunk
        self.tail = tail  # raw bytes after the entries, in the same frames


def json_compact(value, escape_slashes=False):
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=escape_slashes)
    return text.replace("/", "\\/") if escape_slashes else text


def frame_range(offset, size, frames):
    """(first frame, count) holding stream bytes [offset, offset + size), as SeekTable.frameRange."""
    start, first = 0, len(frames) - 1
    for i, (_, d) in enumerate(frames):
        end = start + d
        if offset < end or (size == 0 and offset <= end):
            first = i
            break
        start = end
    last, end = first, start + frames[first][1]
    while end < offset + size and last + 1 < len(frames):
        last += 1
        end += frames[last][1]
    return first, last - first + 1


def seek_payload(table, escape_slashes=True, raw_json=None):
    body = raw_json if raw_json is not None else json_compact(table, escape_slashes).encode()
    return body + struct.pack("<Q", len(body)) + b"ALST"


def assemble(groups, slot, mtime, seek_edit=None, seek_json=None, seek_bytes=None, between=None, after=b""):
    """The bundle file. The seek table is computed from what was actually written (so it is
    consistent unless `seek_edit` changes the table dict, `seek_json` replaces its JSON bytes or
    `seek_bytes` the whole seek frame; None omits it). `between` maps a frame index to bytes inserted
    before that frame; `after` is appended after the seek table."""
    frames, records, stream_pos = [], [], 0
    for group in groups:
        if group.frames is not None:
            parts = list(group.frames)
            data_len = sum(d for _, d in parts)
        else:
            if group.entries is not None:
                data, recs = serialize(group.entries, mtime)
                data += group.tail
                records += [(n, t, stream_pos + off, size) for n, t, off, size in recs]
            else:
                data = group.raw
            data_len = len(data)
            parts = []
            for i in range(0, len(data), group.chunk):
                piece = data[i:i + group.chunk]
                parts.append((group.frame(piece) if group.frame else compress(piece, group.level), len(piece)))
        frames += parts
        stream_pos += data_len
    sizes = [[len(c), d] for c, d in frames]
    entries = []
    for name, kind, offset, size in records:
        if kind == "5":
            continue
        first, count = frame_range(offset, size, sizes)
        entries.append({"frame": first, "frameCount": count, "name": name, "offset": offset, "size": size})
    table = {"dataOffset": SLOT_FRAME, "entries": entries, "frames": sizes, "seekTable": 1}
    if seek_edit:
        seek_edit(table)
    out = bytearray(slot)
    for i, (c, _) in enumerate(frames):
        if between and i in between:
            out += between[i]
        out += c
    if seek_bytes is not False:
        out += seek_bytes if seek_bytes is not None else skippable(SEEK_MAGIC, seek_payload(table, raw_json=seek_json))
    return bytes(out + after)


# ---------------------------------------------------------------------------------------------
# keys and signatures

_P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P256_A = _P256_P - 3
_P256_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
           0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def _ec_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % _P256_P == 0:
        return None
    if a == b:
        slope = (3 * a[0] * a[0] + _P256_A) * pow(2 * a[1], -1, _P256_P) % _P256_P
    else:
        slope = (b[1] - a[1]) * pow(b[0] - a[0], -1, _P256_P) % _P256_P
    x = (slope * slope - a[0] - b[0]) % _P256_P
    return x, (slope * (a[0] - x) - a[1]) % _P256_P


def _ec_mul(k, point):
    result = None
    while k:
        if k & 1:
            result = _ec_add(result, point)
        point = _ec_add(point, point)
        k >>= 1
    return result


def _der_int(value):
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")
    return b"\x02" + bytes([len(raw)]) + raw


def ecdsa_p256_sign(secret, message):
    """Deterministic ECDSA P-256/SHA-256 (RFC 6979), DER Ecdsa-Sig-Value."""
    h = hashlib.sha256(message).digest()
    z = int.from_bytes(h, "big")
    x = secret.to_bytes(32, "big")
    h1 = (z % _P256_N).to_bytes(32, "big")
    k_, v = b"\0" * 32, b"\1" * 32
    k_ = hmac.new(k_, v + b"\0" + x + h1, "sha256").digest()
    v = hmac.new(k_, v, "sha256").digest()
    k_ = hmac.new(k_, v + b"\1" + x + h1, "sha256").digest()
    v = hmac.new(k_, v, "sha256").digest()
    while True:
        v = hmac.new(k_, v, "sha256").digest()
        k = int.from_bytes(v, "big")
        if 1 <= k < _P256_N:
            r = _ec_mul(k, _P256_G)[0] % _P256_N
            s = pow(k, -1, _P256_N) * (z + r * secret) % _P256_N
            if r and s:
                body = _der_int(r) + _der_int(s)
                return b"\x30" + bytes([len(body)]) + body
        k_ = hmac.new(k_, v + b"\0", "sha256").digest()
        v = hmac.new(k_, v, "sha256").digest()


class SigningKey:
    def __init__(self, path, workdir):
        self.path, self.workdir = path, workdir
        spki = run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"])
        self.pub_pem = run(["openssl", "pkey", "-in", path, "-pubout"])
        self.key_id = "sha256:" + sha256(spki)
        if b"\x06\x03\x2b\x65\x70" in spki:
            self.algorithm = "ed25519"
        elif b"\x06\x07\x2a\x86\x48\xce\x3d\x02\x01" in spki and b"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07" in spki:
            self.algorithm = "ecdsa-p256-sha256"
            text = run(["openssl", "pkey", "-in", path, "-text", "-noout"]).decode()
            hexdigits = text.split("priv:")[1].split("pub:")[0]
            self.secret = int("".join(c for c in hexdigits if c in "0123456789abcdef"), 16)
        else:
            fail(f"{path} is neither an Ed25519 nor an ECDSA P-256 key")
        self.pub_path = os.path.join(workdir, "key.pub")
        with open(self.pub_path, "wb") as f:
            f.write(self.pub_pem)

    def sign(self, message):
        """The slot entry for a signature over `message`, checked with openssl before use."""
        msg_path, sig_path = os.path.join(self.workdir, "msg"), os.path.join(self.workdir, "sig")
        with open(msg_path, "wb") as f:
            f.write(message)
        if self.algorithm == "ed25519":
            signature = run(["openssl", "pkeyutl", "-sign", "-inkey", self.path, "-rawin", "-in", msg_path])
            with open(sig_path, "wb") as f:
                f.write(signature)
            run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", self.pub_path, "-rawin", "-in", msg_path, "-sigfile", sig_path])
        else:
            signature = ecdsa_p256_sign(self.secret, message)
            with open(sig_path, "wb") as f:
                f.write(signature)
            run(["openssl", "dgst", "-sha256", "-verify", self.pub_path, "-signature", sig_path, msg_path])
        return {"algorithm": self.algorithm, "keyID": self.key_id, "manifestDigest": digest(message),
                "signature": base64.b64encode(signature).decode()}


def slot_frame(json_bytes, magic=SIG_MAGIC):
    if len(json_bytes) > SLOT_PAYLOAD:
        fail("slot JSON too long")
    return skippable(magic, json_bytes + b"\0" * (SLOT_PAYLOAD - len(json_bytes)))


def slot_json(signatures, slot="airlock-signatures"):
    return json_compact({"signatures": signatures, "slot": slot}).encode()


def foundation_json(value, level=0):
    """JSONEncoder with [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes], as airlock writes the manifest."""
    pad, end = "  " * (level + 1), "  " * level
    if isinstance(value, dict):
        if not value:
            return "{\n\n" + end + "}"
        items = [pad + json.dumps(k, ensure_ascii=False) + " : " + foundation_json(value[k], level + 1) for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, list):
        if not value:
            return "[\n\n" + end + "]"
        return "[\n" + ",\n".join(pad + foundation_json(v, level + 1) for v in value) + "\n" + end + "]"
    return json.dumps(value, ensure_ascii=False)


def manifest_bytes(obj):
    return (foundation_json(obj) + "\n").encode()


# ---------------------------------------------------------------------------------------------
# the input bundle

class Source:
    def __init__(self, path, key):
        with open(path, "rb") as f:
            self.data = data = f.read()
        self.key = key
        if len(data) < SLOT_FRAME + 20 or u32(data, 0) != SIG_MAGIC or u32(data, 4) != SLOT_PAYLOAD:
            fail(f"{path} does not start with a signature slot")
        self.slot = data[:SLOT_FRAME]
        payload = data[8:SLOT_FRAME]
        self.slot_json = payload.split(b"\0", 1)[0]
        self.signatures = json.loads(self.slot_json)["signatures"]
        if data[-4:] != b"ALST":
            fail(f"{path} has no seek table footer")
        n = struct.unpack_from("<Q", data, len(data) - 12)[0]
        self.seek_offset = len(data) - 20 - n
        self.seek_json = data[len(data) - 12 - n:len(data) - 12]
        self.seek = json.loads(self.seek_json)
        # Data frames, walked independently of the seek table and checked against it.
        self.frames, pos = [], SLOT_FRAME
        while pos < self.seek_offset:
            length = frame_length(data, pos)
            self.frames.append((pos, length))
            pos += length
        if pos != self.seek_offset or [f[1] for f in self.frames] != [f[0] for f in self.seek["frames"]]:
            fail("the frames do not match the seek table")
        self.stream = run(["zstd", "-q", "-dc"], data[SLOT_FRAME:self.seek_offset])
        sizes = [f[1] for f in self.seek["frames"]]
        if sum(sizes) != len(self.stream):
            fail("the tar stream does not match the seek table")
        self.frame_content, start = [], 0
        for (offset, length), size in zip(self.frames, sizes):
            content = self.stream[start:start + size]
            _compressed[hashlib.sha256(content).digest()] = data[offset:offset + length]
            self.frame_content.append(content)
            start += size
        entries, end = parse_tar(self.stream)
        self.tar_entries = entries
        self.trailer = self.stream[end:]
        self.mtime = int(self.stream[136:147], 8)
        files = {name: self.stream[start:start + size] for name, kind, _, start, size in entries if kind == "0"}
        self.manifest = files["airlock-bundle.json"]
        self.manifest_obj = json.loads(self.manifest)
        if manifest_bytes(self.manifest_obj) != self.manifest:
            print("bad-bundles.py: note: re-encoding the manifest does not reproduce its bytes", file=sys.stderr)
        self.index = files["index.json"]
        self.layout = files["oci-layout"]
        self.blobs = []  # (descriptor, bytes)
        for d in self.manifest_obj["blobs"]:
            name = "blobs/sha256/" + d["digest"][7:]
            if name not in files:
                fail(f"{name} missing (delta bundles are not supported as input)")
            self.blobs.append((d, files[name]))
        if self.key.key_id not in [s["keyID"] for s in self.signatures]:
            fail(f"{key.path} (key {key.key_id}) has not signed {path}")
        mine = [s for s in self.signatures if s["keyID"] == self.key.key_id][0]
        self.my_signature = mine

    # --- models ---------------------------------------------------------------------------------

    def meta_entries(self, manifest=None, index=None):
        return [Entry("airlock-bundle.json", self.manifest if manifest is None else manifest),
                Entry("oci-layout", self.layout),
                Entry("index.json", self.index if index is None else index),
                Entry("blobs/", type="5"), Entry("blobs/sha256/", type="5")]

    @staticmethod
    def level(descriptor):
        t = descriptor["mediaType"]
        return 1 if t.endswith("gzip") or t.endswith("zstd") or "+gzip" in t or "+zstd" in t else 3

    def blob_entry(self, i):
        d, data = self.blobs[i]
        return Entry("blobs/sha256/" + d["digest"][7:], data)

    def groups(self, meta=None, blobs=None):
        """Default layout: metadata group, one group per blob (index list or (descriptor, bytes)), trailer."""
        out = [Group(meta if meta is not None else self.meta_entries())]
        for item in (range(len(self.blobs)) if blobs is None else blobs):
            if isinstance(item, int):
                out.append(Group([self.blob_entry(item)], level=self.level(self.blobs[item][0])))
            else:
                d, data = item
                out.append(Group([Entry("blobs/sha256/" + d["digest"][7:], data)], level=self.level(d)))
        out.append(Group(raw=b"\0" * 1024))
        return out

    def build(self, groups=None, slot=None, **kw):
        return assemble(groups if groups is not None else self.groups(), self.slot if slot is None else slot, self.mtime, **kw)

    def signed(self, manifest, index=None, blobs=None, meta=None, **kw):
        """A bundle whose manifest (bytes, or an object to encode) is signed by SIGNING_KEY only."""
        if not isinstance(manifest, bytes):
            manifest = manifest_bytes(manifest)
        slot = slot_frame(slot_json([self.key.sign(manifest)]))
        return self.build(self.groups(meta=meta if meta is not None else self.meta_entries(manifest, index), blobs=blobs), slot=slot, **kw)

    def manifest_copy(self):
        return copy.deepcopy(self.manifest_obj)


# ---------------------------------------------------------------------------------------------
# the cases

class Corpus:
    def __init__(self, outdir):
        self.outdir, self.cases, self.names = outdir, [], set()

    def add(self, name, data, what, status=3, phrase="", signed=False):
        if name in self.names:
            fail(f"duplicate case {name}")
        self.names.add(name)
        file = name + ".bundle"
        with open(os.path.join(self.outdir, file), "wb") as f:
            f.write(data)
        self.cases.append({"name": name, "file": file, "what": what, "signed": signed, "status": status, "phrase": phrase})


def flip(data, offset, mask=0x01):
    buf = bytearray(data)
    buf[offset] ^= mask
    return bytes(buf)


def index_json(manifests):
    return json_compact({"manifests": manifests, "mediaType": OCI_INDEX, "schemaVersion": 2}).encode()


def cases(src, key, corpus, rng):
    D = src.data
    add = corpus.add
    n_frames = len(src.frames)
    seek_off = src.seek_offset
    last_blob = len(src.blobs) - 1
    blob_frame = {}  # blob index -> first frame index in the input bundle
    for i, (d, _) in enumerate(src.blobs):
        name = "blobs/sha256/" + d["digest"][7:]
        blob_frame[i] = [e["frame"] for e in src.seek["entries"] if e["name"] == name][0]

    # ----- flipped bytes, region by region (raw file bytes) -----
    add("flip-slot-magic", flip(D, 0), "The first byte of the signature slot's skippable-frame magic is flipped.")
    add("flip-slot-size", flip(D, 6), "The signature slot's frame size field is flipped from 65536 to 0.")
    add("flip-slot-size-low", flip(D, 4), "The signature slot's frame size field is flipped from 65536 to 65537.")
    add("flip-slot-json-open", flip(D, 8, 0x20), "The opening brace of the slot JSON becomes '[', so the slot is not a JSON object.",
        phrase="signature slot")
    md_pos = src.slot_json.index(b'"manifestDigest":"', src.slot_json.index(key.key_id.encode())) + len('"manifestDigest":"sha256:')
    add("flip-slot-manifest-digest", flip(D, 8 + md_pos + 10),
        "A hex digit of the advisory manifestDigest next to SIGNING_KEY's signature is changed; it must not be trusted "
        "in place of verifying (§5.3), so the bundle still verifies.", status=0)
    other_sigs = [s["signature"] for s in src.signatures if s["keyID"] != key.key_id]
    if other_sigs:
        pos = src.slot_json.index(other_sigs[0].encode()) + next(i for i, c in enumerate(other_sigs[0]) if i >= 10 and c.isalpha())
        add("flip-slot-other-signer", flip(D, 8 + pos, 0x20),
            "A base64 letter of another signer's signature changes case; signatures by keys not given are ignored (§9), "
            "so verifying with SIGNING_KEY's public key still succeeds.", status=0)
    sig_start = src.slot_json.index(src.my_signature["signature"].encode())
    pos = next(sig_start + i for i, c in enumerate(src.my_signature["signature"][10:], 10) if c.isalpha() and chr(ord(c) ^ 1).isalpha())
    add("flip-slot-signature", flip(D, 8 + pos),
        "One base64 letter of SIGNING_KEY's signature in the slot is changed, so that signature no longer verifies.",
        phrase="modified after signing")
    kid_start = src.slot_json.index(key.key_id.encode()) + 7
    pos = next(kid_start + i for i, c in enumerate(key.key_id[7:]) if c in "0123456789")
    add("flip-slot-keyid", flip(D, 8 + pos),
        "One hex digit of SIGNING_KEY's key id in the slot is changed, so the bundle has no signature by that key.",
        phrase="not signed by")
    add("flip-slot-padding", flip(D, 8 + len(src.slot_json) + (SLOT_PAYLOAD - len(src.slot_json)) // 2),
        "A NUL byte in the middle of the signature slot's padding becomes 0x01.", phrase="signature slot")
    add("flip-slot-padding-last", flip(D, SLOT_FRAME - 1), "The last byte of the signature slot's padding becomes 0x01.",
        phrase="signature slot")
    for i, (offset, length) in enumerate(src.frames):
        role = "metadata (manifest, oci-layout, index.json)" if i == 0 else "trailer" if i == n_frames - 1 else "blob"
        add(f"flip-frame-{i}-middle", flip(D, offset + length // 2),
            f"A byte in the middle of the compressed bytes of data frame {i} ({role}) is flipped.")
    add("flip-frame-0-magic", flip(D, SLOT_FRAME), "The zstd magic number of the first data frame is flipped.")
    off, length = src.frames[blob_frame[last_blob]]
    add("flip-frame-checksum", flip(D, off + length - 1), "The last byte of the largest blob frame's XXH64 content checksum is flipped.")
    off, _ = src.frames[1]
    fhd = D[off + 4]
    fcs_pos = off + 5 + (0 if (fhd >> 5) & 1 else 1) + [0, 1, 2, 4][fhd & 3]
    add("flip-frame-content-size", flip(D, fcs_pos), "The low byte of data frame 1's Frame_Content_Size field is flipped.")
    add("flip-seek-magic", flip(D, seek_off),
        "The seek table frame's magic 0x184D2A5E becomes 0x184D2A5F, another skippable magic.")
    add("flip-seek-size", flip(D, seek_off + 4), "The low bit of the seek table frame's size field is flipped.")
    add("flip-seek-json-middle", flip(D, seek_off + 8 + len(src.seek_json) // 2, 0x04),
        "A byte in the middle of the seek table JSON is changed.", phrase="seek table")
    add("flip-seek-json-open", flip(D, seek_off + 8, 0x20), "The seek table JSON's opening brace becomes '['.", phrase="seek table")
    add("flip-seek-footer-length", flip(D, len(D) - 12), "The low byte of the seek table footer's u64 JSON length is flipped.",
        phrase="seek table")
    add("flip-seek-footer-length-high", flip(D, len(D) - 5, 0x80),
        "The top bit of the seek table footer's u64 JSON length is set (a length over 2^63).", phrase="seek table")
    add("flip-seek-footer-magic", flip(D, len(D) - 1), "The footer magic 'ALST' becomes 'ALSU'.", phrase="seek table")

    # ----- flipped bytes in decompressed content, frames recompressed (zstd-valid) -----
    m = src.manifest
    add("manifest-flip-middle", src.build(src.groups(meta=src.meta_entries(flip(m, len(m) // 2, 0x01)))),
        "One byte in the middle of the decompressed bundle manifest is flipped and the frame recompressed.",
        phrase="modified after signing")
    add("manifest-flip-brace", src.build(src.groups(meta=src.meta_entries(flip(m, 0, 0x20)))),
        "The manifest's opening brace becomes '[' (invalid JSON), frame recompressed; this is damage after signing, not a JSON problem.",
        phrase="modified after signing")
    pos = m.index(b"\"formatVersion\" : \"1.0\"") + len("\"formatVersion\" : \"")
    add("manifest-flip-version-digit", src.build(src.groups(meta=src.meta_entries(flip(m, pos, 0x02)))),
        "Damage turns the manifest's formatVersion '1.0' into '3.0' (signature now stale).", phrase="format version 3.0")
    pos = m.index(b"manifest.v1+json") + len("manifest.v")
    add("manifest-flip-mediatype", src.build(src.groups(meta=src.meta_entries(flip(m, pos, 0x01)))),
        "Damage turns the manifest's mediaType 'v1' into 'v0' (signature now stale).")
    pos = m.index(b"\"size\" : ") + len("\"size\" : ")
    add("manifest-flip-size-digit", src.build(src.groups(meta=src.meta_entries(flip(m, pos, 0x01)))),
        "A digit of the first blob's size in the manifest is changed (valid JSON, signature now stale).", phrase="modified after signing")
    add("index-json-flip", src.build(src.groups(meta=src.meta_entries(index=flip(src.index, len(src.index) // 2, 0x01)))),
        "One byte in the middle of index.json is flipped, frame recompressed.", phrase="index.json")
    for i, (d, data) in enumerate(src.blobs):
        blobs = list(range(len(src.blobs)))
        blobs[i] = (d, flip(data, len(data) // 2))
        add(f"blob-flip-{i}", src.build(src.groups(blobs=blobs)),
            f"One byte in the middle of blob {i} ({d['mediaType']}) is flipped, frame recompressed.", phrase="corrupt")

    def header_edit(index, fn):
        groups = src.groups()
        groups[1 + index].entries[0].header_edit = fn
        return groups

    def edit_name(h):
        h[99 - h[:100].count(0)] ^= 0x01  # last character of the name
        rechecksum(h)
    add("tar-header-flip-name", src.build(header_edit(1, edit_name)),
        "The last hex digit of a blob's tar entry name is changed (checksum recomputed).")

    def edit_size(h):
        h[128] ^= 0x01
        rechecksum(h)
    add("tar-header-flip-size", src.build(header_edit(1, edit_size)),
        "A digit of a blob's tar size field is changed (checksum recomputed), so the entry's size disagrees with the manifest.")

    def edit_checksum(h):
        h[150] ^= 0x01
    add("tar-header-flip-checksum", src.build(header_edit(1, edit_checksum)), "A digit of a blob's tar header checksum is changed.",
        phrase="damaged")

    def edit_mtime(h):
        h[140] ^= 0x01
        rechecksum(h)
    add("tar-header-flip-mtime-accepted", src.build(header_edit(1, edit_mtime)),
        "A digit of a blob's tar mtime is changed (checksum recomputed); §9: mtime is ignored, so the bundle verifies.", status=0)

    def edit_magic(h):
        h[257] ^= 0x01
        rechecksum(h)
    add("tar-header-flip-ustar-magic", src.build(header_edit(1, edit_magic)),
        "A blob's tar header magic 'ustar' becomes 'tstar' (checksum recomputed); §9: a reader uses only name, type and "
        "size, so the bundle verifies.", status=0)

    # ----- truncation -----
    offsets = {1, 4, 7, 8, 9, 1000, SLOT_FRAME // 2, SLOT_FRAME - 1, SLOT_FRAME, SLOT_FRAME + 1, SLOT_FRAME + 5}
    for offset, length in src.frames:
        offsets.add(offset + length // 2)
        offsets.add(offset + length)  # each frame boundary; the last one is where the seek table starts
    offsets |= {seek_off + 4, seek_off + 8, seek_off + 8 + len(src.seek_json) // 2, len(D) - 12, len(D) - 4, len(D) - 1}
    for offset in sorted(offsets):
        where = ("inside the slot header" if offset < 8 else "inside the signature slot" if offset < SLOT_FRAME
                 else "right after the signature slot" if offset == SLOT_FRAME
                 else "right before the seek table" if offset == seek_off
                 else "inside the seek table" if offset > seek_off
                 else "at a frame boundary" if offset in [o + l for o, l in src.frames] else "inside a data frame")
        add(f"truncate-at-{offset}", D[:offset], f"The bundle cut to its first {offset} bytes ({where}).",
            phrase="" if offset < 8 else "truncated")

    # ----- not bundles at all -----
    add("empty", b"", "An empty file.")
    add("random-1mib", rng.randbytes(MIB), "1 MiB of seeded random bytes.")
    add("plain-tar", src.stream, "The bundle's tar stream, uncompressed, with no slot.")
    add("zstd-random", compress(rng.randbytes(64 << 10)), "A valid zstd frame of 64 KiB of random bytes.")
    add("zstd-of-tar", compress(src.stream), "The tar stream as one valid zstd frame with no signature slot.")
    add("slot-then-random", src.slot + rng.randbytes(64 << 10), "A valid signature slot followed by 64 KiB of random bytes.")
    add("slot-then-plain-tar", src.slot + src.stream, "A valid signature slot followed by the uncompressed tar stream.")

    # ----- format versions and manifest JSON (re-signed) -----
    def version(v):
        obj = src.manifest_copy()
        obj["formatVersion"] = v
        return obj
    for v in ["2.0", "99.1", "10.0"]:
        add(f"version-{v}", src.signed(version(v)), f"A signed manifest with formatVersion '{v}' (unknown major version).",
            phrase=f"format version {v}", signed=True)
    add("version-2.0-unsigned", src.build(src.groups(meta=src.meta_entries(manifest_bytes(version("2.0"))))),
        "The manifest's formatVersion changed to '2.0' without re-signing; the version is checked before signatures (§8 step 3).",
        phrase="format version 2.0")
    add("version-1.7", src.signed(version("1.7")),
        "A signed manifest with formatVersion '1.7': an unknown minor version that 1.x readers must accept (§7).", status=0, signed=True)
    obj = version("1.9")
    obj["zzFutureMember"] = {"added": "in 1.9", "list": [1, 2, 3]}
    obj["images"][0]["futureImageMember"] = True
    obj["blobs"][0]["futureDescriptorMember"] = "x"
    add("version-1.9-new-members", src.signed(obj),
        "A signed 1.9 manifest with members 1.0 does not know (top level, in an image, in a blob descriptor), which readers must ignore (§4.1, §7).",
        status=0, signed=True)
    obj = src.manifest_copy()
    del obj["formatVersion"]
    add("version-missing", src.signed(obj), "A signed manifest without formatVersion.", signed=True)
    add("version-number", src.signed(version(1.0)), "A signed manifest whose formatVersion is the number 1.0, not a string.", signed=True)
    add("version-empty", src.signed(version("")), "A signed manifest whose formatVersion is the empty string.", signed=True)
    add("version-no-minor", src.signed(version("1")), "A signed manifest whose formatVersion is '1' (not MAJOR.MINOR).", signed=True)
    obj = src.manifest_copy()
    obj["mediaType"] = "application/vnd.airlock.bundle.manifest.v2+json"
    add("mediatype-other", src.signed(obj), "A signed manifest with another media type (…manifest.v2+json).",
        phrase="not an airlock bundle", signed=True)
    add("manifest-malformed-json", src.signed(src.manifest.rstrip()[:-1] + b"\n"),
        "A signed manifest missing its final closing brace (invalid JSON).", signed=True)
    add("manifest-json-array", src.signed(b"[]\n"), "A signed manifest that is the JSON array [].", signed=True)
    obj = src.manifest_copy()
    obj["blobs"][0]["size"] = str(obj["blobs"][0]["size"])
    add("manifest-wrong-type-size", src.signed(obj), "A signed manifest in which a blob's size is a string.", phrase="malformed", signed=True)
    obj = src.manifest_copy()
    obj["images"] = {"0": obj["images"][0]}
    add("manifest-wrong-type-images", src.signed(obj), "A signed manifest in which images is an object, not an array.",
        phrase="malformed", signed=True)
    obj = src.manifest_copy()
    del obj["index"]
    add("manifest-missing-index", src.signed(obj), "A signed manifest without its index member.", phrase="malformed", signed=True)
    obj = src.manifest_copy()
    obj["name"] = None
    add("manifest-null-name", src.signed(obj), "A signed manifest whose name is null.", phrase="malformed", signed=True)
    bad = src.manifest.replace(b"\"tiny\"", b"\"ti\xffny\"") if b"\"tiny\"" in src.manifest else src.manifest.replace(b"\"name\" : \"", b"\"name\" : \"\xff", 1)
    add("manifest-not-utf8", src.signed(bad), "A signed manifest with an invalid UTF-8 byte inside a string.", signed=True)
    dup = src.manifest.replace(b"\"formatVersion\" : \"1.0\",", b"\"formatVersion\" : \"1.0\",\n  \"formatVersion\" : \"2.0\",", 1)
    add("manifest-duplicate-version-key", src.signed(dup),
        "A signed manifest with formatVersion twice ('1.0' then '2.0'); parsers disagree on which wins (jq: the last).", signed=True)
    deep = (b"{\"formatVersion\":\"1.0\",\"mediaType\":\"application/vnd.airlock.bundle.manifest.v1+json\",\"x\":"
            + b"[" * 100000 + b"]" * 100000 + b"}\n")
    add("manifest-deep-nesting", src.build(src.groups(meta=src.meta_entries(deep))),
        "An unsigned manifest with arrays nested 100000 deep, parsed before signatures are checked (stack exhaustion).")
    obj = src.manifest_copy()
    obj["spec"] = "#" * (63 * MIB)
    add("manifest-63mib-unsigned", src.build(src.groups(meta=src.meta_entries(manifest_bytes(obj)))),
        "A 63 MiB manifest (a huge spec member) with a stale signature: refused by size before it is read (16 MiB limit).",
        phrase="too large")

    # ----- tar entries: duplicates, extras, missing, order -----
    meta = src.meta_entries
    blob_ids = list(range(len(src.blobs)))
    groups = src.groups(blobs=blob_ids + [last_blob])
    add("dup-blob", src.build(groups), "The last blob's tar entry appears twice (second copy in its own frame).", phrase="twice")
    add("dup-index", src.build(src.groups(meta=meta() + [Entry("index.json", src.index)])), "index.json appears twice.",
        phrase="index.json")
    add("dup-oci-layout", src.build(src.groups(meta=meta() + [Entry("oci-layout", src.layout)])), "oci-layout appears twice.",
        phrase="oci-layout")
    add("dup-manifest-entry", src.build(src.groups(meta=meta() + [Entry("airlock-bundle.json", src.manifest)])),
        "airlock-bundle.json appears a second time after the metadata.")
    add("dup-blobs-dir", src.build(src.groups(meta=meta() + [Entry("blobs/", type="5")])),
        "The blobs/ directory entry appears twice (§3.3: exactly these entries).")
    extra = b"extra blob\n"
    groups = src.groups()
    groups.insert(-1, Group([Entry("blobs/sha256/" + sha256(extra), extra)]))
    add("extra-unlisted-blob", src.build(groups), "A well-formed blob entry whose digest the signed manifest does not list.",
        phrase="does not list")
    add("extra-file", src.build(src.groups(meta=meta() + [Entry("evil.txt", b"evil\n")])), "An extra regular file 'evil.txt'.",
        phrase="unexpected")
    add("missing-last-blob", src.build(src.groups(blobs=blob_ids[:-1])), "The last blob's entry (and frame) is absent.",
        phrase="lacks blob")
    add("missing-first-blob", src.build(src.groups(blobs=blob_ids[1:])), "The first blob (the image manifest) is absent.",
        phrase="lacks blob")
    m_entries = meta()
    add("missing-index", src.build(src.groups(meta=[e for e in m_entries if e.name != "index.json"])), "index.json is absent.",
        phrase="index.json")
    add("missing-oci-layout", src.build(src.groups(meta=[e for e in m_entries if e.name != "oci-layout"])), "oci-layout is absent.",
        phrase="oci-layout")
    add("missing-blob-dirs", src.build(src.groups(meta=m_entries[:3])),
        "The blobs/ and blobs/sha256/ directory entries are absent (§3.3 requires them).")
    e = meta()
    add("order-index-before-layout", src.build(src.groups(meta=[e[0], e[2], e[1], e[3], e[4]])),
        "index.json comes before oci-layout (§3.3 fixes the order; §9 says order beyond 'manifest first' is not relied on).")
    add("order-manifest-not-first", src.build(src.groups(meta=[e[1], e[0], e[2], e[3], e[4]])),
        "oci-layout is the first tar entry, the manifest second.", phrase="first entry")
    add("order-blobs-reversed", src.build(src.groups(blobs=blob_ids[::-1])),
        "The blob entries come in reverse manifest order (§3.2/§3.3 fix the order).")
    add("order-blob-before-dirs", src.build(src.groups(meta=e[:3] + [src.blob_entry(0), e[3], e[4]], blobs=blob_ids[1:])),
        "The first blob's entry sits in the metadata frame, before blobs/ and blobs/sha256/.")
    groups = [Group(meta() + [src.blob_entry(i) for i in blob_ids], chunk=FRAME_MAX), Group(raw=b"\0" * 1024)]
    add("frames-merged", src.build(groups),
        "Metadata and all blobs share one frame (frame cutting of §3.2 violated; seek table consistent).")
    add("no-data-frames", src.build([]), "A valid slot followed directly by a seek table listing no frames and no entries.")
    add("no-entries", src.build([Group(raw=b"\0" * 1024)]), "The tar stream holds only the end-of-archive marker.")
    add("trailer-missing", src.build(src.groups()[:-1]), "The end-of-archive marker frame is absent (the stream ends after the last blob).")
    add("trailer-one-block", src.build(src.groups()[:-1] + [Group(raw=b"\0" * 512)]),
        "The end-of-archive marker is one 512-byte block instead of two.")
    add("data-after-end-marker", src.build(src.groups()[:-1] + [Group(raw=b"\0" * 1024 + b"garbage after the end" + b"\0" * 491)]),
        "Non-NUL bytes follow the end-of-archive marker inside the trailer frame.", phrase="after the end")
    add("data-frame-after-trailer", src.build(src.groups() + [Group(raw=b"garbage after the end\n" + b"\0" * 490)]),
        "An extra data frame with non-NUL bytes follows the trailer frame (seek table lists it).", phrase="after the end")
    hidden = [Group(src.meta_entries(), tail=b"\0" * 1024 + serialize([Entry("evil.txt", b"evil\n")], 0)[0])] + src.groups()[1:]
    add("metadata-hides-end-marker", src.build(hidden),
        "The metadata frame ends with an end-of-archive marker and an entry after it, the blobs following in their own frames (seek table consistent).")
    add("entry-after-end-marker", src.build(src.groups()[:-1] + [Group(raw=b"\0" * 1024 + serialize([Entry("evil.txt", b"evil\n")], 0)[0] + b"\0" * 1024)]),
        "A complete tar entry follows the end-of-archive marker.", phrase="after the end")

    # ----- hostile names and entry types -----
    canary = b"airlock-corpus-canary\n"
    for name, label in [("../evil", "name-dotdot"), ("blobs/sha256/../../../../tmp/airlock-corpus-evil", "name-dotdot-blobs"),
                        ("/tmp/x", "name-absolute-tmp"), ("/etc/passwd", "name-absolute-passwd")]:
        add(label, src.build(src.groups(meta=meta() + [Entry(name, canary)])), f"An extra regular file named '{name}'.", phrase="unexpected")
    target = "blobs/sha256/" + src.blobs[last_blob][0]["digest"][7:]

    def replace_last(entry):
        groups = src.groups()
        groups[-2] = Group([entry])
        return groups
    add("symlink-blob", src.build(replace_last(Entry(target, type="2", linkname="/etc/passwd"))),
        "The last blob's entry is a symbolic link to /etc/passwd.", phrase="link")
    add("symlink-extra", src.build(src.groups(meta=meta() + [Entry("evil-link", type="2", linkname="/etc/passwd")])),
        "An extra symbolic link 'evil-link' -> /etc/passwd.", phrase="unexpected")
    add("symlink-blobs-dir", src.build(src.groups(meta=meta()[:4] + [Entry("blobs/sha256", type="2", linkname="/tmp")])),
        "blobs/sha256 is a symbolic link to /tmp instead of a directory.")
    e = meta()
    e[2] = Entry("index.json", type="2", linkname="/etc/passwd")
    add("symlink-index", src.build(src.groups(meta=e)), "index.json is a symbolic link to /etc/passwd.", phrase="link")
    add("hardlink-blob", src.build(replace_last(Entry(target, type="1", linkname="airlock-bundle.json"))),
        "The last blob's entry is a hard link to airlock-bundle.json.", phrase="link")
    add("hardlink-absolute", src.build(src.groups(meta=meta() + [Entry("evil-hardlink", type="1", linkname="/etc/passwd")])),
        "An extra hard link 'evil-hardlink' -> /etc/passwd.", phrase="unexpected")
    add("chardev-blob", src.build(replace_last(Entry(target, type="3", devmajor=1, devminor=3))),
        "The last blob's entry is a character device (1,3: /dev/null).", phrase="device")
    add("blockdev-blob", src.build(replace_last(Entry(target, type="4", devmajor=8, devminor=0))),
        "The last blob's entry is a block device (8,0: /dev/sda).", phrase="device")
    add("fifo-blob", src.build(replace_last(Entry(target, type="6"))), "The last blob's entry is a FIFO.", phrase="fifo")
    add("chardev-extra", src.build(src.groups(meta=meta() + [Entry("dev-null", type="3", devmajor=1, devminor=3)])),
        "An extra character device entry 'dev-null'.", phrase="unexpected")
    add("dir-as-blob", src.build(replace_last(Entry(target + "/", type="5"))),
        "The last blob's entry is a directory named after its digest.")
    e = meta()
    e[2] = Entry("index.json", type="5")
    add("dir-as-index", src.build(src.groups(meta=e)), "index.json is a directory entry.", phrase="directory")
    e = meta()
    e[1] = Entry("oci-layout", type="5")
    add("dir-as-oci-layout", src.build(src.groups(meta=e)), "oci-layout is a directory entry.", phrase="directory")
    e = meta()
    e[0] = Entry("airlock-bundle.json", type="5")
    add("dir-as-manifest", src.build(src.groups(meta=e)), "airlock-bundle.json is a directory entry (first entry).")
    e = meta()
    e[3] = Entry("blobs/", b"not a directory\n")
    add("file-as-blobs-dir", src.build(src.groups(meta=e)), "blobs/ is a regular file with content instead of a directory.")
    long_name = "blobs/sha256/" + "a" * 300
    add("pax-longname-extra", src.build(src.groups(meta=meta() + [Entry(long_name[:99], canary, pax=[("path", long_name)])])),
        "An extra entry whose 313-byte name is given by a pax 'path' record.", phrase="unexpected")
    add("gnu-longname-extra", src.build(src.groups(meta=meta() + [Entry(long_name[:99], canary, gnu_longname=long_name)])),
        "An extra entry whose 313-byte name is given by a GNU longname ('L') header.", phrase="unexpected")
    groups = src.groups()
    groups[-2].entries[0].pax = [("path", "../../../../tmp/airlock-corpus-pwned")]
    add("pax-path-traversal", src.build(groups), "A pax 'path' record renames the last blob's entry to ../../../../tmp/airlock-corpus-pwned.",
        phrase="unexpected")
    groups = src.groups()
    groups[-2].entries[0].pax = [("size", str(8 * GIB))]
    add("pax-size-8gib", src.build(groups), "A pax 'size' record claims 8 GiB for the last blob's entry, which holds far less.")
    groups = src.groups()
    for g in groups[:-1]:
        for entry in g.entries:
            entry.pax = [("mtime", str(8 ** 11))]
            entry.mtime = 8 ** 11
    add("pax-mtime-accepted", src.build(groups),
        "Every entry gets a pax header with mtime 8^11 (as airlock writes for times after 2242); readers must accept pax headers (§3.4).",
        status=0)

    # ----- huge declared sizes -----
    e = meta()
    e[0].size = 8 * GIB
    add("tar-size-8gib-manifest", src.build(src.groups(meta=e)), "The manifest's tar header declares 8 GiB (base-256) with ~300 KiB behind it.")
    e = meta()
    e[0].size = 64 * MIB + 1
    add("tar-size-64mib-plus-1-manifest", src.build(src.groups(meta=e)), "The manifest's tar header declares 64 MiB + 1 byte, one over the limit.")
    groups = src.groups()
    groups[-2].entries[0].size = INT64_MAX
    add("tar-size-int64max-blob", src.build(groups), "The last blob's tar header declares 2^63-1 bytes (base-256) with ~270 KiB behind it.")
    groups = src.groups()
    groups[-2].entries[0].size = -1
    add("tar-size-negative-blob", src.build(groups), "The last blob's tar header declares size -1 (base-256 two's complement).")
    e = meta()
    e[1].size = 8 * GIB
    add("tar-size-8gib-oci-layout", src.build(src.groups(meta=e)), "oci-layout's tar header declares 8 GiB.")
    add("tar-size-8gib-extra", src.build(src.groups(meta=meta() + [Entry("junk", b"x" * 1024, size=8 * GIB)])),
        "An extra entry 'junk' declaring 8 GiB with 1 KiB behind it.", phrase="unexpected")
    huge = 1 << 50
    obj = src.manifest_copy()
    obj["blobs"][last_blob]["size"] = huge
    groups_blobs = blob_ids[:-1] + [(obj["blobs"][last_blob], src.blobs[last_blob][1])]
    signed_meta = lambda o, index=None: src.meta_entries(manifest_bytes(o), index)
    gs = src.groups(meta=signed_meta(obj), blobs=groups_blobs)
    gs[-2].entries[0].size = huge
    add("signed-blob-size-2^50", src.build(gs, slot=slot_frame(slot_json([key.sign(manifest_bytes(obj))]))),
        "A signed manifest says the last blob has 2^50 bytes and its tar header agrees; ~270 KiB follow.", signed=True)
    obj = src.manifest_copy()
    obj["blobs"][0]["size"] = huge
    for img in obj["images"]:
        if img["digest"] == obj["blobs"][0]["digest"]:
            img["size"] = huge
    gs = src.groups(meta=signed_meta(obj))
    gs[1].entries[0].size = huge
    add("signed-manifest-blob-size-2^50", src.build(gs, slot=slot_frame(slot_json([key.sign(manifest_bytes(obj))]))),
        "A signed manifest says the image manifest blob has 2^50 bytes and its tar header agrees.", signed=True)
    obj = src.manifest_copy()
    obj["index"]["size"] = huge
    e = signed_meta(obj)
    e[2].size = huge
    add("signed-index-size-2^50", src.build(src.groups(meta=e), slot=slot_frame(slot_json([key.sign(manifest_bytes(obj))]))),
        "A signed manifest says index.json has 2^50 bytes and its tar header agrees; the reader must not allocate that.", signed=True)
    obj = src.manifest_copy()
    obj["blobs"][1]["size"] = -1
    add("signed-blob-size-negative", src.signed(obj), "A signed manifest lists a blob of size -1.", signed=True)

    # ----- the seek table -----
    def seek_case(name, edit, what, **kw):
        add(name, src.build(seek_edit=edit), what, phrase=kw.get("phrase", "seek table"), status=kw.get("status", 3))

    def set_frame(i, j, v):
        return lambda t: t["frames"][i].__setitem__(j, v)

    def set_entry(i, k, v):
        return lambda t: t["entries"][i].__setitem__(k, v)
    big = blob_frame[last_blob]
    seek_case("seek-frame-beyond-file", set_frame(big, 0, 10 ** 12), "The seek table gives the largest frame 10^12 compressed bytes, far past the end of the file.")

    def overlap(t):
        t["frames"][1][0] += 100
        t["frames"][2][0] -= 100
    seek_case("seek-frames-overlap", overlap, "Frame 1 is listed 100 bytes longer and frame 2 100 bytes shorter (same sum, frames overlap).")
    seek_case("seek-frames-sum-short", set_frame(big, 0, src.seek["frames"][big][0] - 1), "The largest frame is listed one byte short, so the frames do not sum to the file.")
    seek_case("seek-frame-negative", set_frame(0, 0, -src.seek["frames"][0][0]), "Frame 0's compressed size is negative.")
    seek_case("seek-frame-zero", set_frame(0, 0, 0), "Frame 0's compressed size is 0.")
    seek_case("seek-frame-huge-decompressed", set_frame(0, 1, 1 << 40), "Frame 0 claims 2^40 decompressed bytes.")
    seek_case("seek-frame-int64max", set_frame(0, 0, INT64_MAX), "Frame 0's compressed size is 2^63-1 (sums overflow a 64-bit integer).")
    seek_case("seek-frame-three-numbers", lambda t: t["frames"][0].append(0), "Frame 0 is listed as three numbers.")
    seek_case("seek-frames-empty", lambda t: t.__setitem__("frames", []), "The seek table lists no frames.")
    seek_case("seek-entry-negative-offset", set_entry(0, "offset", -512), "The manifest's seek entry has offset -512.")
    seek_case("seek-entry-negative-size", set_entry(1, "size", -30), "oci-layout's seek entry has size -30.")
    seek_case("seek-entry-overlap", set_entry(1, "offset", 0), "oci-layout's seek entry overlaps the manifest's data (offset 0).")
    seek_case("seek-entry-frame-out-of-range", set_entry(-1, "frame", 99), "The last entry names frame 99, past the frame list.")
    seek_case("seek-entry-frame-negative", set_entry(-1, "frame", -1), "The last entry names frame -1.")
    seek_case("seek-entry-frame-int64max", set_entry(-1, "frame", INT64_MAX), "The last entry names frame 2^63-1 (frame + frameCount overflows).")
    seek_case("seek-entry-framecount-zero", set_entry(-1, "frameCount", 0), "The last entry has frameCount 0.")
    seek_case("seek-entry-offset-int64max", set_entry(-1, "offset", INT64_MAX), "The last entry's offset is 2^63-1 (offset + size overflows).")
    seek_case("seek-entry-offset-int64min", set_entry(-1, "offset", INT64_MIN), "The last entry's offset is -2^63 (offset - header overflows).")
    seek_case("seek-entry-size-int64max", set_entry(-1, "size", INT64_MAX), "The last entry's size is 2^63-1 (offset + size overflows).")
    seek_case("seek-entry-missing", lambda t: t["entries"].pop(), "The seek table omits the last entry.")
    seek_case("seek-entry-renamed", set_entry(-1, "name", "blobs/sha256/" + "0" * 64), "The last entry names a blob that is not in the bundle.")
    seek_case("seek-version-2", lambda t: t.__setitem__("seekTable", 2), "seekTable is 2.")
    seek_case("seek-dataoffset-zero", lambda t: t.__setitem__("dataOffset", 0), "dataOffset is 0 instead of 65544.")
    seek_case("seek-number-too-big", set_frame(0, 0, 1 << 64), "Frame 0's compressed size is 2^64, beyond any 64-bit integer.")
    seek_case("seek-number-float", set_frame(0, 0, 922.5), "Frame 0's compressed size is the fraction 922.5.")
    add("seek-unescaped-slashes-accepted", src.build(seek_json=json_compact(src.seek).encode()),
        "The seek table JSON with '/' not escaped as '\\/': readers must use a JSON parser (§3.5) and accept it.", status=0)
    add("seek-not-json", src.build(seek_json=b"this is not JSON at all" + b"!" * 900), "The seek table payload is not JSON.", phrase="seek table")
    add("seek-deep-nesting", src.build(seek_json=json_compact(src.seek).encode()[:-1] + b",\"x\":" + b"[" * 100000 + b"]" * 100000 + b"}"),
        "The seek table JSON carries arrays nested 100000 deep (stack exhaustion).", phrase="seek table")
    # The seek table is unsigned: nothing beyond the members §3.5 defines may ride in it, and its
    # size is bounded by what the manifest needs before it is parsed (issue 24, item 6).
    seek_case("seek-extra-member-large", lambda t: t.__setitem__("cargo", "A" * (8 << 20)),
              "The seek table carries 8 MiB of extra data in a member the format does not define.", phrase="more than")
    seek_case("seek-extra-member-small", lambda t: t.__setitem__("note", "hello"),
              "The seek table carries a small member the format does not define.", phrase="does not define")
    seek_case("seek-entry-extra-member", set_entry(0, "payload", "exfiltrated"),
              "A seek table entry carries a member the format does not define.", phrase="does not define")
    add("seek-duplicate-member", src.build(seek_json=json_compact(src.seek, True).encode()[:-1] + b',"seekTable":1}'),
        "The seek table has the member 'seekTable' twice.", phrase="twice")
    table = json_compact(src.seek, True).encode()
    for name, length, what in [("seek-footer-length-huge", (1 << 64) - 1, "2^64-1"), ("seek-footer-length-2^40", 1 << 40, "2^40"),
                               ("seek-footer-length-zero", 0, "0")]:
        payload = table + struct.pack("<Q", length) + b"ALST"
        add(name, src.build(seek_bytes=skippable(SEEK_MAGIC, payload)), f"The seek table footer claims a JSON length of {what}.",
            phrase="seek table")
    add("seek-missing", src.build(seek_bytes=False), "The seek table frame is absent; the file ends after the trailer frame.",
        phrase="seek table")
    add("seek-twice", src.build(after=D[seek_off:]), "The seek table frame appears twice at the end.")
    add("seek-frame-size-too-large", src.build(seek_bytes=struct.pack("<II", SEEK_MAGIC, len(D) - seek_off) + D[seek_off + 8:]),
        "The seek table frame's size field is 8 bytes larger than what follows.", phrase="truncated")
    add("skippable-between-frames", src.build(between={2: skippable(0x184D2A50, b"\0" * 16)}),
        "An extra 16-byte skippable frame (magic 0x184D2A50) sits between data frames 1 and 2.")
    add("slot-frame-again", src.build(between={1: src.slot}), "A second copy of the signature slot frame sits between data frames 0 and 1.")
    add("skippable-size-4gib", src.build(between={n_frames - 1: struct.pack("<II", 0x184D2A50, 0xFFFFFFFF)}),
        "A skippable frame header declaring 4 GiB - 1 of payload sits before the trailer frame.")
    add("skippable-size-64mib", src.build(between={n_frames - 1: struct.pack("<II", 0x184D2A50, 64 * MIB)}),
        "A skippable frame header declaring 64 MiB (the limit) sits before the trailer frame, with ~1 KiB behind it.")
    add("trailing-garbage", D + rng.randbytes(100), "100 random bytes after the seek table footer.")
    add("trailing-zeros", D + b"\0" * 4, "4 NUL bytes after the seek table footer.")

    # ----- zstd frames -----
    def frame_case(name, builder, what, status=3, blob=last_blob):
        groups = src.groups()
        groups[1 + blob].frame = builder
        add(name, src.build(groups), what, status=status)
    frame_case("zstd-window-log-31", lambda c: raw_frame(c, window_log=31),
               "The last blob's frame is rebuilt (raw blocks, content size, checksum) with a window descriptor of 2 GiB (windowLog 31).")
    frame_case("zstd-window-log-24", lambda c: raw_frame(c, window_log=24),
               "The last blob's frame is rebuilt with windowLog 24 (16 MiB), one over the 8 MiB limit.")
    frame_case("zstd-window-log-23-accepted", lambda c: raw_frame(c, window_log=23),
               "The last blob's frame is rebuilt with windowLog 23 (8 MiB, the limit): valid, must be accepted.", status=0)
    frame_case("zstd-content-size-absent", lambda c: raw_frame(c, fcs=None),
               "The last blob's frame is rebuilt without Frame_Content_Size, which every data frame must declare (§3.2).")
    frame_case("zstd-content-size-smaller", lambda c: raw_frame(c, fcs=len(c) - 1),
               "The last blob's frame declares a content size one byte smaller than it holds.")
    frame_case("zstd-content-size-larger", lambda c: raw_frame(c, fcs=len(c) + 1),
               "The last blob's frame declares a content size one byte larger than it holds.")
    frame_case("zstd-no-checksum", lambda c: raw_frame(c, checksum=False),
               "The last blob's frame is rebuilt without Content_Checksum, which every data frame must carry (§3.2).")
    frame_case("zstd-dictionary-id", lambda c: raw_frame(c, dict_id=0x12345678),
               "The last blob's frame header names dictionary 0x12345678 (data frames must not need a dictionary).")
    frame_case("zstd-reserved-bit", lambda c: raw_frame(c, reserved_bit=True), "The last blob's frame header has its reserved bit set.")
    groups = src.groups()
    groups[1 + last_blob] = Group(frames=[(rle_zero_frame(GIB), GIB)])
    add("zstd-ratio-bomb", src.build(groups),
        f"The last blob's frame is replaced by a {len(rle_zero_frame(GIB)) >> 10} KiB frame of RLE blocks that decompresses to 1 GiB of zeros (seek table consistent).")
    groups = src.groups()
    groups[-1] = Group(frames=[(rle_zero_frame(5 * MIB), 5 * MIB)])
    add("zstd-trailer-5mib", src.build(groups),
        "The trailer frame decompresses to 5 MiB of NUL instead of 1024 bytes: over the 4 MiB frame limit (§3.2).")
    groups = src.groups()
    groups.insert(2, Group(frames=[(compress(b""), 0)]))
    add("zstd-empty-frame-inserted", src.build(groups), "An extra data frame with no content sits between two blob frames (seek table lists it).")
    groups = src.groups()
    groups[1 + last_blob].frame = lambda c: raw_frame(c)[:-4] + struct.pack("<I", (xxh64(c) + 1) & 0xFFFFFFFF)
    add("zstd-bad-checksum-handmade", src.build(groups), "The last blob's frame carries a wrong XXH64 content checksum.")

    # ----- re-signed hostile manifests and graphs -----
    layer_d = src.blobs[last_blob][0]
    image = src.manifest_obj["images"][0]
    idx = json.loads(src.index)

    def retarget_index(refs):
        """index.json listing (refName, descriptor) pairs."""
        return index_json([{"annotations": {REF_NAME: ref, "io.containerd.image.name": image["source"] + ":x"},
                            "digest": d["digest"], "mediaType": d["mediaType"], "size": d["size"]} for ref, d in refs])

    def signed_with_index(obj, index_bytes, blobs=None):
        obj["index"]["digest"], obj["index"]["size"] = digest(index_bytes), len(index_bytes)
        return src.signed(obj, index=index_bytes, blobs=blobs)

    obj = src.manifest_copy()
    obj["images"][0].update(digest=layer_d["digest"], size=layer_d["size"], mediaType=image["mediaType"])
    add("signed-image-digest-is-layer", signed_with_index(obj, retarget_index([(image["refName"], dict(layer_d, mediaType=image["mediaType"]))])),
        "A signed manifest (and index.json) whose image digest points at a layer blob instead of a manifest.", signed=True)
    # A valid bundle of the same image with both layers replaced by tiny ones (new manifest digest,
    # index.json and signature): the smallest well-formed bundle, and the fuzzer's seed.
    obj = src.manifest_copy()
    manifest_i = [i for i, (d, _) in enumerate(src.blobs) if d["mediaType"] in MANIFEST_TYPES][0]
    document = src.blobs[manifest_i][1]
    new_blobs = []
    for i, (d, data) in enumerate(src.blobs):
        if d["mediaType"] in MANIFEST_TYPES:
            continue
        if "layer" in d["mediaType"] or "rootfs" in d["mediaType"]:
            tiny = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes([i]) * 4  # gzip-shaped, content irrelevant
            nd = dict(d, digest=digest(tiny), size=len(tiny))
            old_ref = b'"digest":"%s","size":%d' % (d["digest"].encode(), d["size"])
            if old_ref not in document:
                fail("the image manifest does not name its layers as expected")
            document = document.replace(old_ref, b'"digest":"%s","size":%d' % (nd["digest"].encode(), nd["size"]))
            new_blobs.append((nd, tiny))
        else:
            new_blobs.append((d, data))
    md = dict(src.blobs[manifest_i][0], digest=digest(document), size=len(document))
    others = sorted(new_blobs, key=lambda item: item[0]["digest"])
    ordered = [(md, document)] + others
    obj["blobs"] = [d for d, _ in ordered]
    obj["images"][0].update(digest=md["digest"], size=md["size"], totalSize=sum(d["size"] for d, _ in ordered))
    add("small-layers-accepted", signed_with_index(obj, retarget_index([(image["refName"], md)]), blobs=ordered),
        "The same image with both layers replaced by 14-byte blobs, re-signed: a valid bundle (the fuzzer's seed).", status=0, signed=True)
    # The image manifest gives a layer a size one byte more than the blob the bundle holds (and
    # lists); every reader must refuse it alike, before anything is written (issue 24, item 5).
    obj = src.manifest_copy()
    layer_i = [i for i, (d, _) in enumerate(src.blobs) if "layer" in d["mediaType"] or "rootfs" in d["mediaType"]][0]
    layer = src.blobs[layer_i][0]
    old_ref = b'"digest":"%s","size":%d' % (layer["digest"].encode(), layer["size"])
    if old_ref not in src.blobs[manifest_i][1]:
        fail("the image manifest does not name its layers as expected")
    lying = src.blobs[manifest_i][1].replace(old_ref, b'"digest":"%s","size":%d' % (layer["digest"].encode(), layer["size"] + 1))
    md = dict(src.blobs[manifest_i][0], digest=digest(lying), size=len(lying))
    ordered = [(md, lying)] + sorted([item for item in src.blobs if item[0]["mediaType"] not in MANIFEST_TYPES], key=lambda item: item[0]["digest"])
    obj["blobs"] = [d for d, _ in ordered]
    obj["images"][0].update(digest=md["digest"], size=md["size"])
    add("signed-layer-size-lie", signed_with_index(obj, retarget_index([(image["refName"], md)]), blobs=ordered),
        "Signed: the image manifest gives a layer one byte more than the bundle lists and holds.", phrase="size", signed=True)
    obj = src.manifest_copy()
    small_layer = min((i for i, (d, _) in enumerate(src.blobs) if d["mediaType"] not in MANIFEST_TYPES), key=lambda i: src.blobs[i][0]["size"])
    obj["blobs"][small_layer]["mediaType"] = OCI_MANIFEST
    add("signed-layer-typed-as-manifest", src.signed(obj), "A signed manifest lists a non-manifest blob with the OCI image manifest media type.",
        signed=True)
    obj = src.manifest_copy()
    obj["blobs"][0]["mediaType"] = OCI_MANIFEST if obj["blobs"][0]["mediaType"] != OCI_MANIFEST else "application/vnd.docker.distribution.manifest.v2+json"
    add("signed-manifest-type-disagrees", src.signed(obj),
        "A signed manifest lists the image manifest blob under a manifest media type that disagrees with the document's own.", signed=True)
    obj = src.manifest_copy()
    obj["blobs"].append(copy.deepcopy(obj["blobs"][1]))
    add("signed-blob-listed-twice", src.signed(obj), "A signed manifest lists one blob digest twice.", phrase="twice", signed=True)
    obj = src.manifest_copy()
    absent = b"this blob is not in the bundle\n"
    obj["blobs"].append({"digest": digest(absent), "mediaType": "application/vnd.oci.image.layer.v1.tar", "size": len(absent)})
    add("signed-listed-blob-absent", src.signed(obj), "A signed manifest lists a blob the bundle does not hold.", phrase="lacks blob", signed=True)
    obj = src.manifest_copy()
    dropped = [i for i, (d, _) in enumerate(src.blobs) if d["mediaType"] not in MANIFEST_TYPES][-1]
    del obj["blobs"][dropped]
    add("signed-image-layer-absent", src.signed(obj, blobs=[i for i in blob_ids if i != dropped]),
        "A signed manifest omits a layer the image manifest references, and the bundle omits it too.", phrase="does not hold", signed=True)
    obj = src.manifest_copy()
    add("signed-index-wrong-ref", signed_with_index(obj, retarget_index([(image["refName"] + "-other", image)])),
        "Signed: index.json names the image with another ref name than the manifest's refName.", signed=True)
    obj = src.manifest_copy()
    add("signed-index-image-twice", signed_with_index(obj, retarget_index([(image["refName"], image)] * 2)),
        "Signed: index.json lists the one image twice.", signed=True)
    obj = src.manifest_copy()
    add("signed-index-not-an-index", signed_with_index(obj, b"[]"), "Signed: index.json is the JSON array [].", signed=True)
    # JSON readers disagree on which of two equal keys wins (Foundation's decoder: the first; Go,
    # Python, jq: the last), so a reviewer's tool and airlock could see different content.
    twice = src.manifest.replace(b'  "name" : "', b'  "name" : "decoy",\n  "name" : "', 1)
    add("signed-manifest-duplicate-key", src.signed(twice), "A signed manifest with the member 'name' twice.", phrase="twice", signed=True)
    obj = src.manifest_copy()
    good_index = src.index.decode()
    add("signed-index-duplicate-key", signed_with_index(obj, '"manifests":[],"mediaType":'.join(good_index.rsplit('"mediaType":', 1)).encode()),
        "Signed: index.json has 'manifests' twice, the right list first and an empty one last.", phrase="twice", signed=True)
    deep = src.manifest.rstrip()[:-1].rstrip() + b',\n  "zz" : ' + b"[" * 100000 + b"]" * 100000 + b"\n}\n"
    add("signed-manifest-deep-nesting", src.signed(deep), "A signed manifest with a member nested 100,000 arrays deep.", phrase="malformed", signed=True)
    for label, ref, what in [("signed-refname-dotdot", "../../../../tmp/airlock-corpus/evil:1.4.0", "a refName climbing out with '../'"),
                             ("signed-refname-absolute", "/etc/passwd:1.4.0", "an absolute refName '/etc/passwd:1.4.0'")]:
        obj = src.manifest_copy()
        obj["images"][0]["refName"] = ref
        add(label, signed_with_index(obj, retarget_index([(ref, image)])),
            f"Signed manifest and index.json agree on {what}, which is not a valid OCI reference name.", signed=True)
    obj = src.manifest_copy()
    obj["name"] = "tiny\u001b]0;owned\u0007\u001b[2J\u001b[31m"
    obj["version"] = "1.0.0\nverified evil 6.6.6: signed by everyone"
    add("signed-name-control-chars", src.signed(obj),
        "A signed manifest whose name and version hold terminal escape sequences and a newline, which must never reach the terminal raw.",
        signed=True)
    obj = src.manifest_copy()
    obj["blobs"][small_layer]["digest"] = obj["blobs"][small_layer]["digest"].upper().replace("SHA256:", "sha256:")
    add("signed-digest-uppercase", src.signed(obj), "A signed manifest lists a blob digest in upper-case hex.", signed=True)

    # Index graphs. A true cycle needs a document containing its own SHA-256 (or two containing each
    # other's), so a cycle cannot be built; a deep chain and an exponential diamond stand in for it.
    image_d = {"digest": image["digest"], "mediaType": image["mediaType"], "size": image["size"]}

    def index_doc(children):
        return json_compact({"manifests": children, "mediaType": OCI_INDEX, "schemaVersion": 2}).encode()

    def graph_bundle(top_children_fn, levels, fanout, what, name, phrase=""):
        docs, child = [], [image_d]
        for _ in range(levels):
            body = index_doc(child * fanout)
            d = {"digest": digest(body), "mediaType": OCI_INDEX, "size": len(body)}
            docs.append((d, body))
            child = [d]
        top_body = index_doc(top_children_fn(child))
        top = {"digest": digest(top_body), "mediaType": OCI_INDEX, "size": len(top_body)}
        docs.append((top, top_body))
        obj = src.manifest_copy()
        obj["images"][0].update(digest=top["digest"], size=top["size"], mediaType=OCI_INDEX)
        new_blobs = sorted([d for d, _ in docs], key=lambda d: d["digest"]) + obj["blobs"]
        manifests = [d for d in new_blobs if d["mediaType"] in MANIFEST_TYPES]
        others = [d for d in new_blobs if d["mediaType"] not in MANIFEST_TYPES]
        obj["blobs"] = sorted(manifests, key=lambda d: d["digest"]) + sorted(others, key=lambda d: d["digest"])
        content = dict((d["digest"], b) for d, b in docs)
        content.update((d["digest"], b) for d, b in src.blobs)
        refs = [(image["refName"], top)]
        ib = retarget_index(refs)
        obj["index"]["digest"], obj["index"]["size"] = digest(ib), len(ib)
        blobs = [(d, content[d["digest"]]) for d in obj["blobs"]]
        add(name, src.signed(obj, index=ib, blobs=blobs), what, phrase=phrase, signed=True)

    graph_bundle(lambda child: child, 8, 1,
                 "Signed: the image is a chain of 9 nested indexes above the real manifest (nesting depth must stay below 8).",
                 "signed-index-chain-depth-9", phrase="deeply")
    missing = {"digest": digest(b"missing manifest\n"), "mediaType": OCI_MANIFEST, "size": 17}
    graph_bundle(lambda child: child * 64 + [missing], 6, 64,
                 "Signed: 7 nested indexes each listing the next 64 times (64^7 paths, a few KiB each), the top one ending with a "
                 "manifest the bundle lacks; a walk that does not remember visited digests never finishes.",
                 "signed-index-diamond-explosion", phrase="does not hold")

    # ----- signature slot contents -----
    others = [s for s in src.signatures if s["keyID"] != key.key_id]
    add("slot-no-signatures", src.build(slot=slot_frame(slot_json([]))), "The slot holds no signatures.", phrase="no signatures")
    add("slot-without-signing-key", src.build(slot=slot_frame(slot_json(others))),
        "SIGNING_KEY's signature is removed from the slot (other signers' stay).")
    other_alg = "ecdsa-p256-sha256" if key.algorithm == "ed25519" else "ed25519"
    add("slot-wrong-algorithm", src.build(slot=slot_frame(slot_json([dict(src.my_signature, algorithm=other_alg)] + others))),
        f"SIGNING_KEY's signature is labelled '{other_alg}', not its key's algorithm.")
    bogus = dict(src.my_signature, signature=base64.b64encode(rng.randbytes(64)).decode())
    add("slot-duplicate-keyid-bad-second", src.build(slot=slot_frame(slot_json([src.my_signature, bogus] + others))),
        "The slot holds SIGNING_KEY's valid signature and then a bogus one with the same key id (at most one per key id).")
    add("slot-duplicate-keyid-bad-first", src.build(slot=slot_frame(slot_json([bogus, src.my_signature] + others))),
        "The slot holds a bogus signature with SIGNING_KEY's key id and then the valid one.")
    add("slot-signature-not-base64", src.build(slot=slot_frame(slot_json([dict(src.my_signature, signature="!!! not base64 !!!")] + others))),
        "SIGNING_KEY's signature is not base64.")
    add("slot-wrong-slot-name", src.build(slot=slot_frame(slot_json(src.signatures, slot="airlock-signaturez"))),
        "The slot's 'slot' member reads 'airlock-signaturez'.", phrase="signature slot")
    add("slot-not-json", src.build(slot=slot_frame(b"signatures: none")), "The slot payload is text, not JSON.", phrase="signature slot")
    add("slot-deep-nesting", src.build(slot=slot_frame(b"{\"slot\":\"airlock-signatures\",\"signatures\":" + b"[" * 30000 + b"]" * 30000 + b"}")),
        "The slot JSON nests arrays 30000 deep (stack exhaustion).", phrase="signature slot")
    add("slot-json-fills-payload", src.build(slot=slot_frame(src.slot_json[:-1] + b" " * (SLOT_PAYLOAD - len(src.slot_json)) + b"}")),
        "The slot JSON is padded with spaces to fill all 65536 bytes, with no NUL: allowed (the JSON may be 65536 bytes).", status=0)
    many = [{"algorithm": "ed25519", "keyID": "sha256:" + rng.randbytes(32).hex(), "manifestDigest": digest(src.manifest),
             "signature": base64.b64encode(rng.randbytes(64)).decode()} for _ in range(200)]
    add("slot-200-unknown-signers", src.build(slot=slot_frame(slot_json(many + [src.my_signature])) ),
        "200 signatures by unknown keys precede SIGNING_KEY's valid one; unknown signers are ignored.", status=0)

    # Sanity: the unchanged model reproduces the input bundle byte for byte.
    if src.build() != D:
        print("bad-bundles.py: note: rebuilding the input does not reproduce it exactly", file=sys.stderr)


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    bundle, key_path, outdir = argv[1:]
    os.makedirs(outdir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bad-bundles.") as work:
        key = SigningKey(key_path, work)
        src = Source(bundle, key)
        corpus = Corpus(outdir)
        cases(src, key, corpus, random.Random(20231114))
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump(corpus.cases, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(corpus.cases)} cases to {outdir}")


if __name__ == "__main__":
    main(sys.argv)
