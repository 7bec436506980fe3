"""Schemathesis hooks for PixelUnion (loaded through SCHEMATHESIS_HOOKS by
scripts/schemathesis.sh): every request carries a session of the test user,
signed in again every few seconds, since the fuzzer ends sessions (logout,
revoking them). The sign-in comes from 127.0.0.2, so that the fuzzer's own
failed sign-ins from 127.0.0.1 (which the server throttles per address)
do not lock it out."""
import http.client
import json
import os
import ssl
import urllib.parse

import schemathesis

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


@schemathesis.auth(refresh_interval=5)
class UserSession:
    def get(self, case, ctx):
        base = os.environ["PU_API_BASE"]
        creds = json.loads(os.environ["PU_API_USER"])
        body = json.dumps({"email": creds["email"], "password": creds["password"], "bearer": True})
        url = urllib.parse.urlsplit(base)
        conn = http.client.HTTPSConnection(
            url.hostname, url.port, context=CTX, timeout=30, source_address=("127.0.0.2", 0)
        )
        try:
            conn.request("POST", "/api/v1/auth/login", body, {"content-type": "application/json"})
            r = conn.getresponse()
            data = json.loads(r.read())
            if r.status != 200:
                raise RuntimeError(f"sign-in failed: {r.status} {data}")
            return data["token"]
        finally:
            conn.close()

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


# A tus PATCH body is raw bytes.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
