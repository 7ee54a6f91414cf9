#!/usr/bin/env python3
"""Makes damaged copies of an airlock bundle for tests (stdlib + the zstd CLI only).

  tamper.py seek BUNDLE                          print the seek table JSON
  tamper.py flip BUNDLE OUT OFFSET               flip one byte (negative OFFSET counts from the end)
  tamper.py truncate BUNDLE OUT LENGTH           keep the first LENGTH bytes
  tamper.py rewrite BUNDLE OUT [--edit NAME] [--drop NAME] [--add NAME] [--symlink NAME] [--dup NAME]
        decompress, change the tar stream, recompress (one frame), keep the original signature slot
"""
import io
import json
import struct
import subprocess
import sys
import tarfile

SLOT = 8 + 65536


def read(path):
    with open(path, "rb") as f:
        return f.read()


def seek_table(data):
    length = struct.unpack("<Q", data[-12:-4])[0]
    assert data[-4:] == b"ALST", "no seek table footer"
    return json.loads(data[-12 - length:-12])


def rewrite(data, edits, drops, adds, symlinks, dups):
    tar_bytes = subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
    source = tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:")
    out = io.BytesIO()
    target = tarfile.open(fileobj=out, mode="w:", format=tarfile.USTAR_FORMAT)
    for member in source.getmembers():
        if member.name in drops:
            continue
        payload = source.extractfile(member).read() if member.isfile() else None
        if member.name in edits and payload:
            payload = bytearray(payload)
            payload[len(payload) // 2] ^= 0x01
            payload = bytes(payload)
        if payload is not None:
            member.size = len(payload)
            target.addfile(member, io.BytesIO(payload))
            if member.name in dups:
                target.addfile(member, io.BytesIO(payload))
        else:
            target.addfile(member)
    for name in adds:
        info = tarfile.TarInfo(name)
        info.size = 5
        target.addfile(info, io.BytesIO(b"extra"))
    for name in symlinks:
        info = tarfile.TarInfo(name)
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        target.addfile(info)
    target.close()
    # One frame that declares its size and has a checksum, as every data frame must (format-spec §3.2).
    tar_out = out.getvalue()
    compressed = subprocess.run(["zstd", "-q", "-c", "-C", f"--stream-size={len(tar_out)}"], input=tar_out,
                                capture_output=True, check=True).stdout
    return data[:SLOT] + compressed


def main(argv):
    command = argv[1]
    data = read(argv[2])
    if command == "seek":
        print(json.dumps(seek_table(data)))
        return
    out = argv[3]
    if command == "flip":
        offset = int(argv[4])
        buffer = bytearray(data)
        buffer[offset] ^= 0x01
        data = bytes(buffer)
    elif command == "truncate":
        data = data[:int(argv[4])]
    elif command == "rewrite":
        options = {"--edit": [], "--drop": [], "--add": [], "--symlink": [], "--dup": []}
        rest = argv[4:]
        for flag, value in zip(rest[::2], rest[1::2]):
            options[flag].append(value)
        data = rewrite(data, options["--edit"], options["--drop"], options["--add"], options["--symlink"], options["--dup"])
    else:
        sys.exit(f"unknown command {command}")
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main(sys.argv)
