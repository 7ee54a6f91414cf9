#!/usr/bin/env python3
"""Minimal Docker/distribution token server for the airlock dev registry.

Implements just enough of https://distribution.github.io/distribution/spec/auth/token/
(GET /token) and the OAuth2 password grant (POST /token) for local tests.

Access policy (deliberately simple):
  * Basic auth with the configured user/password -> every requested action is granted.
  * No Authorization header (anonymous)          -> only "pull" on repositories is granted,
    so anonymous pulls work but pushes get 401 insufficient_scope from the registry.
  * Wrong user/password                          -> 401 (no token at all).

Tokens are RS256 JWTs whose header carries the signing certificate in "x5c";
distribution verifies that chain against its auth.token.rootcertbundle.
Python's stdlib has no RSA, so signing is done by `openssl dgst -sha256 -sign`.

GET /stats returns {"tokens_issued": N, ...} so tests can check token caching.
Passwords and tokens are never logged.
"""
from __future__ import annotations

import argparse
import fnmatch
import base64
import binascii
import hmac
import json
import os
import secrets
import ssl
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN_TTL = 300


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_scope(scope: str) -> dict | None:
    """'repository:acme/runtime:pull,push' -> {type, name, actions}.

    The name may itself contain ':' (e.g. host:port/repo), so split on the first
    and last colon. A type may carry a class: 'repository(plugin)'.
    """
    first, last = scope.find(":"), scope.rfind(":")
    if first < 0 or first == last:
        return None
    rtype, name, actions = scope[:first], scope[first + 1:last], scope[last + 1:]
    entry = {"type": rtype, "name": name, "actions": [a for a in actions.split(",") if a]}
    if rtype.endswith(")") and "(" in rtype:
        entry["type"], entry["class"] = rtype[:-1].split("(", 1)
    return entry


class TokenIssuer:
    def __init__(self, args: argparse.Namespace):
        self.key = os.path.abspath(args.key)
        self.service = args.service
        self.issuer = args.issuer
        self.user = args.user
        self.password = args.password
        self.read_only = args.read_only_repos
        self.openssl = os.environ.get("OPENSSL", "openssl")
        with open(args.cert, encoding="ascii") as f:
            pem = f.read()
        # x5c wants standard base64 of the DER certificate (not base64url).
        self.x5c = [base64.b64encode(ssl.PEM_cert_to_DER_cert(pem)).decode("ascii")]
        self.lock = threading.Lock()
        self.stats = {"tokens_issued": 0, "anonymous_tokens": 0, "auth_failures": 0}

    def check_key_matches_cert(self, cert_path: str) -> None:
        def pub(cmd: list[str]) -> bytes:
            return subprocess.run(cmd, check=True, capture_output=True).stdout
        a = pub([self.openssl, "x509", "-noout", "-pubkey", "-in", cert_path])
        b = pub([self.openssl, "pkey", "-pubout", "-in", self.key])
        if a.strip() != b.strip():
            sys.exit(f"token-server: {self.key} does not match {cert_path}")

    def authenticate(self, header: str | None) -> tuple[bool, str]:
        """Returns (ok, subject). Anonymous is ok with subject ''."""
        if not header:
            return True, ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False, ""
        try:
            user, _, pw = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False, ""
        return self.check_password(user, pw), user

    def check_password(self, user: str, pw: str) -> bool:
        ok_user = hmac.compare_digest(user.encode(), self.user.encode())
        ok_pw = hmac.compare_digest(pw.encode(), self.password.encode())
        return ok_user and ok_pw

    def grant(self, scopes: list[str], subject: str) -> list[dict]:
        access = []
        for raw in scopes:
            for s in raw.split():  # OAuth2 form joins scopes with spaces
                entry = parse_scope(s)
                if entry is None:
                    continue
                if not subject:  # anonymous: read-only on repositories
                    if entry["type"] != "repository":
                        continue
                    entry["actions"] = [a for a in entry["actions"] if a == "pull"]
                elif self.read_only and fnmatch.fnmatchcase(entry["name"], self.read_only):
                    # Tests of partial failure: this user may pull but not push here.
                    entry["actions"] = [a for a in entry["actions"] if a == "pull"]
                access.append(entry)
        return access

    def sign(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = subprocess.run([self.openssl, "dgst", "-sha256", "-sign", self.key],
                             input=signing_input.encode("ascii"), check=True,
                             capture_output=True).stdout
        return signing_input + "." + b64url(sig)

    def issue(self, subject: str, access: list[dict]) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + TOKEN_TTL,
            "nbf": now - 5,  # tolerate tiny clock differences between processes
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        token = self.sign(claims)
        with self.lock:
            self.stats["tokens_issued"] += 1
            if not subject:
                self.stats["anonymous_tokens"] += 1
        return {"token": token, "access_token": token, "expires_in": TOKEN_TTL,
                "issued_at": rfc3339(now)}

    def count_failure(self) -> None:
        with self.lock:
            self.stats["auth_failures"] += 1


class Handler(BaseHTTPRequestHandler):
    server_version = "airlock-dev-token/1"
    issuer: TokenIssuer  # set on the class in main()

    def log_message(self, fmt: str, *args) -> None:
        # Default format logs self.requestline: method + path + query (scopes), never headers/bodies.
        sys.stderr.write("token-server: %s - %s\n" % (self.address_string(), fmt % args))

    def send_json(self, status: int, body: dict, extra: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def unauthorized(self) -> None:
        self.issuer.count_failure()
        self.send_json(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid credentials"}]},
                       {"WWW-Authenticate": 'Basic realm="airlock-dev-token"'})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/stats":
            with self.issuer.lock:
                self.send_json(200, dict(self.issuer.stats))
            return
        if url.path != "/token":
            self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
            return
        query = parse_qs(url.query)
        if query.get("service", [self.issuer.service])[0] != self.issuer.service:
            self.send_json(400, {"errors": [{"code": "DENIED", "message": "unknown service"}]})
            return
        ok, subject = self.issuer.authenticate(self.headers.get("Authorization"))
        if not ok:
            self.unauthorized()
            return
        access = self.issuer.grant(query.get("scope", []), subject)
        self.send_json(200, self.issuer.issue(subject, access))

    def do_POST(self) -> None:
        """OAuth2 password grant (containerd/docker try this first when they have credentials)."""
        url = urlsplit(self.path)
        if url.path != "/token":
            self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        if form.get("grant_type", [""])[0] != "password":
            self.send_json(400, {"error": "unsupported_grant_type"})
            return
        user, pw = form.get("username", [""])[0], form.get("password", [""])[0]
        if not self.issuer.check_password(user, pw):
            self.unauthorized()
            return
        access = self.issuer.grant(form.get("scope", []), user)
        body = self.issuer.issue(user, access)
        body.pop("token")
        self.send_json(200, body)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--key", required=True, help="PEM RSA private key used to sign tokens")
    p.add_argument("--cert", required=True, help="PEM certificate for --key (sent as x5c)")
    p.add_argument("--service", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--read-only-repos", default="", help="glob of repositories the user may pull but not push")
    args = p.parse_args()

    issuer = TokenIssuer(args)
    issuer.check_key_matches_cert(args.cert)
    Handler.issuer = issuer
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    sys.stderr.write(f"token-server: listening on http://127.0.0.1:{args.port}/token\n")
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
