#!/usr/bin/env python3
"""Builds signed bundles whose folder artifact holds a hostile archive (issue 24, items 1-4).

  python3 scripts/hostile-folders.py BUNDLE SIGNING_KEY.pem OUTDIR

BUNDLE is a bundle packed with `--file DIR` (a folder, carried as a tar+gzip layer) and signed by
SIGNING_KEY. For each case the folder's layer is replaced by a hand-built archive, the artifact
manifest, the bundle manifest and index.json follow it, and the bundle is signed again by
SIGNING_KEY alone, so every case passes the signature check and reaches extract's folder checks.
Writes OUTDIR/<name>.bundle and OUTDIR/cases.json: [{"name", "file", "what", "phrase", "status"}],
where phrase is a substring extract's one-line refusal must contain (case-insensitive). Every case
but the control (benign-rebuilt, status 0) must be refused with exit 3 and leave the target folder
empty. Never unpack a case with tar.
"""
import gzip
import importlib.util
import io
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bad_bundles", os.path.join(HERE, "bad-bundles.py"))
bb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bb)

UNPACK = "io.deis.oras.content.unpack"


def tar(entries):
    """Tar bytes of bad-bundles Entry objects, with the end marker."""
    data, _ = bb.serialize(entries, 0)
    return data + b"\0" * 1024


def gz(data):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as f:
        f.write(data)
    return out.getvalue()


def sparse_bomb(root):
    """A GNU sparse ('S') entry: one 512-byte data block mapped at offset 4 GiB, real size 4 GiB + 512."""
    h = bytearray(bb.tar_header(f"{root}/sparse.bin", 512, type="S"))
    real = (4 << 30) + 512

    def octal(value, width):
        return (b"%0*o" % (width - 1, value)) + b" "
    h[386:386 + 12] = octal(4 << 30, 12)   # first sparse map entry: offset
    h[398:398 + 12] = octal(512, 12)       # numbytes
    h[483:483 + 12] = octal(real, 12)      # realsize
    h[257:265] = b"ustar  \0"              # the GNU magic, which sparse headers need
    bb.rechecksum(h)
    return bytes(h) + b"\x41" * 512 + b"\0" * 1024


def cases(root):
    E = bb.Entry
    d = E(f"{root}/", type="5")
    # The control: the same rewriting with a harmless archive must extract (status 0), so every
    # refusal below is the folder's doing, not the rebuilt bundle's.
    yield ("benign-rebuilt", tar([d, E(f"{root}/sub/", type="5"), E(f"{root}/sub/a.txt", b"fine\n"),
                                  E(f"{root}/up", type="2", linkname="sub/../sub/a.txt"), E(f"{root}/sub/back", type="2", linkname="../up")]),
           "A harmless folder rebuilt and re-signed the same way: extracts.", "")
    yield ("link-through-later-link", tar([d, E(f"{root}/A", type="2", linkname="B/B/B/B/../../../../../../etc/passwd"),
                                          E(f"{root}/B", type="2", linkname=".")]),
           "A link climbing out through a link to '.' that comes after it.", "outside")
    yield ("link-absolute", tar([d, E(f"{root}/passwd", type="2", linkname="/etc/passwd")]), "An absolute symbolic link.", "outside")
    yield ("link-chain-escape", tar([d, E(f"{root}/a", type="2", linkname="b/.."), E(f"{root}/b", type="2", linkname="c"),
                                    E(f"{root}/c", type="2", linkname="..")]),
           "Links whose chain a -> b/.. -> c/.. -> ../.. leaves the folder.", "outside")
    yield ("hardlink-outside", tar([d, E(f"{root}/shadow", type="1", linkname="../../etc/shadow")]),
           "A hard link to a path outside the folder (extract writes no hard links).", "hard link")
    yield ("hardlink-to-escaping-symlink", tar([d, E(f"{root}/out", type="2", linkname="../.."),
                                               E(f"{root}/hard", type="1", linkname=f"{root}/out")]),
           "A hard link to a symbolic link that points outside.", "hard link")
    yield ("duplicate-name", tar([d, E(f"{root}/a.txt", b"good\n"), E(f"{root}/a.txt", b"EVIL\n")]),
           "The same name twice (the last copy would win).", "twice")
    yield ("entry-outside-root", tar([d, E("elsewhere/x.txt", b"x\n")]), "An entry outside the folder's name.", "outside")
    yield ("entry-dotdot", tar([d, E(f"{root}/../../escape.txt", b"x\n")]), "An entry climbing out with '..'.", "outside")
    yield ("entry-absolute", tar([d, E("/tmp/airlock-hostile-folder.txt", b"x\n")]), "An absolute entry name.", "outside")
    yield ("device-node", tar([d, E(f"{root}/null", type="3", devmajor=1, devminor=3)]), "A character device.", "device")
    yield ("declared-size-bomb", tar([d, E(f"{root}/big.bin", b"", size=1 << 40)])[:2048],
           "An entry declaring 1 TiB in a few bytes (far over the bound its signed size allows).", "declares more than")
    yield ("sparse-bomb", sparse_bomb(root), "A GNU sparse entry mapping 4 GiB from 512 bytes.", "declares more than")


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    bundle, key_path, outdir = argv[1:]
    os.makedirs(outdir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hostile-folders.") as work:
        key = bb.SigningKey(key_path, work)
        src = bb.Source(bundle, key)
        build(src, outdir)


def folder_of(src):
    """(image entry, artifact manifest descriptor and bytes, layer descriptor) of the bundle's folder."""
    by_digest = {d["digest"]: (d, data) for d, data in src.blobs}
    for image in src.manifest_obj["images"]:
        if image.get("kind") != "file" or image["digest"] not in by_digest:
            continue
        md, document = by_digest[image["digest"]]
        layers = json.loads(document).get("layers", [])
        if len(layers) == 1 and layers[0].get("annotations", {}).get(UNPACK) == "true":
            return image, md, document, layers[0]
    bb.fail("the bundle holds no folder artifact (pack it with --file DIR)")


def build(src, outdir):
    image, md, document, layer = folder_of(src)
    root = image["artifact"]["name"]
    listed = []
    for name, archive, what, phrase in cases(root):
        blob = gz(archive)
        new_layer = {"digest": bb.digest(blob), "size": len(blob)}
        old = b'"digest":"%s"' % layer["digest"].encode(), b'"size":%d' % layer["size"]
        if old[0] not in document or old[1] not in document:
            bb.fail("the artifact manifest does not name its layer as expected")
        new_document = document.replace(old[0], b'"digest":"%s"' % new_layer["digest"].encode()).replace(old[1], b'"size":%d' % len(blob), 1)
        new_md = dict(md, digest=bb.digest(new_document), size=len(new_document))
        blobs = []
        for d, data in src.blobs:
            if d["digest"] == md["digest"]:
                blobs.append((new_md, new_document))
            elif d["digest"] == layer["digest"]:
                blobs.append((dict(d, **new_layer), blob))
            else:
                blobs.append((d, data))
        manifests = sorted([b for b in blobs if b[0]["mediaType"] in bb.MANIFEST_TYPES], key=lambda b: b[0]["digest"])
        others = sorted([b for b in blobs if b[0]["mediaType"] not in bb.MANIFEST_TYPES], key=lambda b: b[0]["digest"])
        ordered = manifests + others
        obj = src.manifest_copy()
        obj["blobs"] = [d for d, _ in ordered]
        for entry in obj["images"]:
            if entry["digest"] == md["digest"]:
                entry.update(digest=new_md["digest"], size=new_md["size"])
                if "totalSize" in entry:
                    entry["totalSize"] = entry["totalSize"] - layer["size"] - md["size"] + len(blob) + new_md["size"]
        index = json.loads(src.index)
        for m in index["manifests"]:
            if m["digest"] == md["digest"]:
                m.update(digest=new_md["digest"], size=new_md["size"])
        index_bytes = bb.json_compact(index).encode()
        obj["index"]["digest"], obj["index"]["size"] = bb.digest(index_bytes), len(index_bytes)
        with open(os.path.join(outdir, name + ".bundle"), "wb") as f:
            f.write(src.signed(obj, index=index_bytes, blobs=ordered))
        listed.append({"name": name, "file": name + ".bundle", "what": what, "phrase": phrase, "status": 0 if name == "benign-rebuilt" else 3})
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump(listed, f, indent=2)
        f.write("\n")
    print(f"wrote {len(listed)} cases to {outdir}")


if __name__ == "__main__":
    main(sys.argv)
