#!/usr/bin/env python3
"""Prints a bearer session token of a fresh, ready library user of a running
PixelUnion server, made through the API as a newcomer would: the first
administrator signs in with the one-time password the first start printed,
sets a password, enrols TOTP (codes computed here, RFC 6238), creates a user,
and the user signs in and sets a password.

    scripts/api-user.py https://127.0.0.1:8443 admin@localhost ONE-TIME-PASSWORD [--json]

With --json it prints {"token", "email", "password"} (to sign in again).

Only the standard library; certificates are not verified (loopback test
servers use a self-signed one). Used by the schemathesis run in .ci/run.
"""
import base64
import hashlib
import hmac
import json
import ssl
import struct
import sys
import time
import urllib.error
import urllib.request
import uuid

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def call(base, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def totp(secret_b32, at=None):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((at or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def must(result, expected, what):
    status, body = result
    if status != expected:
        sys.exit(f"{what}: {status} {body}")
    return body


def main():
    base, email, otp = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    admin_pw = "a long passphrase for the first account"
    s = must(call(base, "POST", "/api/v1/auth/login", body={"email": email, "password": otp, "bearer": True}), 200, "admin login")
    t = s["token"]
    must(call(base, "POST", "/api/v1/auth/password", t, {"current_password": otp, "new_password": admin_pw}), 200, "admin password")
    e = must(call(base, "POST", "/api/v1/auth/mfa/totp", t, {"password": admin_pw}), 200, "totp begin")
    must(call(base, "POST", "/api/v1/auth/mfa/totp/confirm", t, {"enrolment": e["enrolment"], "code": totp(e["secret"])}), 200, "totp confirm")
    user_email = f"user-{uuid.uuid4().hex[:8]}@example.org"
    u = must(call(base, "POST", "/api/v1/admin/users", t, {"email": user_email}), 201, "create user")
    s = must(call(base, "POST", "/api/v1/auth/login", body={"email": user_email, "password": u["one_time_password"], "bearer": True}), 200, "user login")
    ut = s["token"]
    password = "a very long library passphrase"
    must(call(base, "POST", "/api/v1/auth/password", ut, {"current_password": u["one_time_password"], "new_password": password}), 200, "user password")
    if "--json" in sys.argv[4:]:
        print(json.dumps({"token": ut, "email": user_email, "password": password}))
    else:
        print(ut)


if __name__ == "__main__":
    main()
