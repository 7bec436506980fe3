#!/usr/bin/env python3
"""Independent implementation of docs/blob-format.md, written from the spec
alone (Python `cryptography`), that recomputes every test vector in it.

If this and the Rust vault agree, the document is precise enough for someone
else to read PixelUnion's data without PixelUnion. Exit status 0 = all match.
"""
import base64
import hashlib
import hmac
import pathlib
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SPEC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "blob-format.md"


def hkdf(salt: bytes, ikm: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt or None, info=info).derive(ikm)


def lp(x: bytes) -> bytes:
    return struct.pack(">I", len(x)) + x


USER_G1 = b"\x02" + struct.pack(">I", 1)


def blob(owner: bytes, obj: bytes, salt: bytes, log2: int, pt: bytes) -> bytes:
    header = b"PXUB" + bytes([1, log2]) + USER_G1 + b"\x00" + salt
    key = AESGCM(hkdf(salt, owner, b"pixelunion/blob/v1" + obj))
    s = 1 << log2
    n = max(1, -(-len(pt) // s))
    out = header
    for i in range(n):
        nonce = b"\x00" * 3 + struct.pack(">Q", i) + bytes([1 if i == n - 1 else 0])
        out += key.encrypt(nonce, pt[i * s:(i + 1) * s], header)
    return out


def field(owner_key, salt, owner, table, column, row, pt):
    header = b"\x01" + USER_G1 + salt
    aad = header + lp(owner) + lp(table) + lp(column) + lp(row)
    return header + AESGCM(hkdf(salt, owner_key, b"pixelunion/field/v1")).encrypt(b"\x00" * 12, pt, aad)


def share(unseal: bytes, set_id: bytes) -> str:
    payload = b"\x01" + set_id + bytes([1, 1]) + unseal
    check = hashlib.sha256(b"pixelunion/share/v1" + payload).digest()[:4]
    b32 = base64.b32encode(payload + check).decode().rstrip("=").lower()
    return "pu-" + "-".join(b32[i:i + 5] for i in range(0, len(b32), 5))


def parse_blocks(text: str):
    blocks, cur, last = [], None, None
    for line in text.splitlines():
        if line.strip() == "```vector":
            cur = {}
        elif line.strip() == "```" and cur is not None:
            blocks.append(cur)
            cur = None
        elif cur is not None:
            if "=" in line:
                k, v = line.split("=", 1)
                last = k.strip()
                cur[last] = v.strip()
            elif last:
                cur[last] += line.strip()
    return blocks


def val(b, k) -> bytes:
    v = b[k]
    if v.startswith('"'):
        return v[1:-1].encode()
    if v == "(empty)":
        return b""
    return bytes.fromhex(v)


def compute(b):
    kind = b["kind"]
    if kind == "object-key":
        return {"object_key": hkdf(val(b, "salt"), val(b, "owner_key"), b"pixelunion/blob/v1" + val(b, "object_id")).hex()}
    if kind == "blob":
        return {"ciphertext": blob(val(b, "owner_key"), val(b, "object_id"), val(b, "salt"), int(b["segment_log2"]), val(b, "plaintext")).hex()}
    if kind == "field":
        return {"ciphertext": field(val(b, "owner_key"), val(b, "salt"), val(b, "owner"), val(b, "table"), val(b, "column"), val(b, "row"), val(b, "plaintext")).hex()}
    if kind == "blind-index":
        k = hkdf(b"", val(b, "owner_key"), b"pixelunion/blind-index/v1" + lp(val(b, "domain")))
        return {"stored": (USER_G1 + hmac.new(k, val(b, "value"), hashlib.sha256).digest()).hex()}
    if kind == "keyring-subkeys":
        k = val(b, "keyring_key")
        return {"wrap_key": hkdf(b"", k, b"pixelunion/keyring/wrap/v1").hex(), "system_key": hkdf(b"", k, b"pixelunion/keyring/system/v1").hex()}
    if kind == "sealed-root":
        sid, k, n = val(b, "set_id"), int(b["threshold"]), int(b["shares"])
        aad = b"pixelunion/root/v1" + sid + bytes([k, n])
        nonce = val(b, "nonce")
        rec = b"\x01" + sid + bytes([k, n]) + nonce + AESGCM(val(b, "unseal_key")).encrypt(nonce, val(b, "root_key"), aad)
        return {"record": rec.hex()}
    if kind == "share-1-of-1":
        return {"share": '"' + share(val(b, "unseal_key"), val(b, "set_id")) + '"'}
    raise SystemExit(f"unknown vector kind {kind}")


def main() -> int:
    blocks = parse_blocks(SPEC.read_text())
    failed = 0
    for b in blocks:
        bad = [(n, e) for n, e in compute(b).items() if b.get(n) != e]
        failed += bool(bad)
        for name, expected in bad:
                print(f"MISMATCH {b['name']}.{name}\n  doc:  {b.get(name)}\n  spec: {expected}")
    print(f"{len(blocks) - failed} passed, {failed} failed")
    return 1 if failed or not blocks else 0


if __name__ == "__main__":
    sys.exit(main())
