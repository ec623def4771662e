#!/usr/bin/env python3
"""Writes the raw BTF of a kernel image (a Debian vmlinuz) to a file.

Usage: btf-extract.py VMLINUZ OUT.btf

arm64 images are uncompressed, so the .BTF section's bytes sit in the file as they
are; x86 bzImages carry a compressed kernel (gzip, xz, lz4 or zstd), unpacked first.
The BTF is found by its header: magic 0xeB9F, version 1, header length 24, then the
type and string section offsets and lengths that give its total size.
"""
import io
import gzip
import lzma
import struct
import subprocess
import sys

MAGIC = b'\x9f\xeb\x01\x00\x18\x00\x00\x00'


def find_btf(buf):
    at = buf.find(MAGIC)
    while at >= 0:
        type_off, type_len, str_off, str_len = struct.unpack_from('<4I', buf, at + 8)
        size = 24 + max(type_off + type_len, str_off + str_len)
        # vmlinux BTF is megabytes; small matches are module or stray bytes
        if type_len > 100000 and at + size <= len(buf):
            return buf[at:at + size]
        at = buf.find(MAGIC, at + 1)
    return None


def unpack(data):
    decoders = (
        (b'\x1f\x8b\x08', lambda b: gzip.GzipFile(fileobj=io.BytesIO(b)).read()),
        (b'\xfd7zXZ\x00', lambda b: lzma.LZMADecompressor().decompress(b)),
        (b'\x02\x21\x4c\x18', lambda b: subprocess.run(['lz4', '-dc'], input=b, capture_output=True).stdout),
        (b'\x28\xb5\x2f\xfd', lambda b: subprocess.run(['zstd', '-dcq'], input=b, capture_output=True).stdout),
    )
    for magic, decode in decoders:
        at = data.find(magic)
        while at >= 0:
            try:
                btf = find_btf(decode(data[at:]))
                if btf:
                    return btf
            except Exception:
                pass
            at = data.find(magic, at + 1)
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: btf-extract.py VMLINUZ OUT.btf')
    data = open(sys.argv[1], 'rb').read()
    btf = find_btf(data) or unpack(data)
    if not btf:
        sys.exit('btf-extract: no BTF in ' + sys.argv[1])
    with open(sys.argv[2], 'wb') as out:
        out.write(btf)


if __name__ == '__main__':
    main()
