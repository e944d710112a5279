"""Who may use the review page: loopback by default, an access token beyond it.

The page changes the digest's state, so it listens on a loopback address unless an access
token is configured; with a token, every page asks for it first. Without a token the Host
header must name the loopback address too, so that a web page elsewhere cannot reach the
server through DNS rebinding. Every state-changing request carries a CSRF token (Flask-WTF).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from pathlib import Path

from ..config import Config
from ..errors import ConfigError, UsageError

MIN_TOKEN_CHARS = 16
LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and "localhost"; an empty host or 0.0.0.0 means every interface."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def access_token(config: Config) -> str | None:
    """The token in the variable `serve.token_env` names, or None when it is unset or empty.
    Raises ConfigError for a token shorter than MIN_TOKEN_CHARS."""
    token = os.environ.get(config.serve.token_env, "").strip()
    if not token:
        return None
    if len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(f"the access token in ${config.serve.token_env} is too short: use at "
                          f"least {MIN_TOKEN_CHARS} characters (e.g. python3 -c 'import "
                          f"secrets; print(secrets.token_urlsafe())')")
    return token


def check_bind(config: Config, host: str) -> str | None:
    """The access token to require, after checking that `host` may be listened on: a
    non-loopback address needs a token (UsageError without one)."""
    token = access_token(config)
    if not is_loopback(host) and token is None:
        raise UsageError(f"not listening on {host or 'every interface'}: the review page can "
                         f"change and publish the digest, so beyond loopback it needs an "
                         f"access token; set ${config.serve.token_env} (serve.token_env) to a "
                         f"secret of at least {MIN_TOKEN_CHARS} characters, or use --host "
                         "127.0.0.1")
    return token


def fingerprint(token: str) -> str:
    """What a session remembers of the token it was opened with: a new token ends it."""
    return hashlib.sha256(b"paperlist-serve\0" + token.encode()).hexdigest()[:32]


def token_matches(given: str, token: str) -> bool:
    """A constant-time comparison, so that timing tells nothing about the token."""
    return hmac.compare_digest(given.strip().encode(), token.encode())


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port: "[::1]:8765" -> "[::1]"."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def allowed_host_names(bind_host: str) -> frozenset[str]:
    """The Host header names a loopback server answers to."""
    names = {"localhost", "127.0.0.1", "[::1]"}
    bound = bind_host.strip().lower()
    names.add(f"[{bound.strip('[]')}]" if ":" in bound else bound)
    return frozenset(names)


def session_secret(path: Path) -> bytes:
    """The key that signs the page's session cookies, kept beside the state database (mode
    0600) so that a restarted server still accepts the forms an editor has open."""
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
    return key
