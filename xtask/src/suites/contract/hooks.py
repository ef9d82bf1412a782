"""Schemathesis hooks of the contract suite (xtask/src/suites/contract.rs): every generated
request carries a valid token, and schema-valid sign-ups do not collide with earlier ones.

Three operations end the session they are sent with: POST /users/logout, DELETE /user/sessions
and PUT /user with a new password. Each of their cases gets a user and session of its own, so
no case of any operation runs with a revoked token; every other case uses the run's user
(CONTRACT_TOKEN). CONTRACT_API is the API's origin."""

import os
import random
import string
import threading
from itertools import count

import requests
import schemathesis

API = os.environ["CONTRACT_API"]
SESSION_ENDING = ["Logout", "RevokeAllSessions", "UpdateCurrentUser"]
# Usernames and emails (lower-cased) that exist or that a case has sent; see `before_call`.
_taken = {"contract", "contract@example.com"}
_lock = threading.Lock()
_rng = random.Random(19)
_sessions = count(1)


def _use(case, token):
    case.headers = case.headers or {}
    case.headers["Authorization"] = f"Token {token}"


@schemathesis.auth(refresh_interval=None).apply_to(operation_id=SESSION_ENDING)
class FreshSession:
    """A new user per case: its session may end without touching anyone else's."""

    def get(self, case, ctx):
        with _lock:
            name = f"session-{next(_sessions)}"
        user = {"username": name, "email": f"{name}@example.com", "password": "contract-password"}
        res = requests.post(f"{API}/api/users", json={"user": user}, timeout=30)
        res.raise_for_status()
        with _lock:
            _taken.update({name, user["email"]})
        return res.json()["user"]["token"]

    def set(self, case, token, ctx):
        _use(case, token)


@schemathesis.auth(refresh_interval=None).skip_for(operation_id=SESSION_ENDING)
class RunUser:
    """The user registered before the run; nothing else ends its session."""

    def get(self, case, ctx):
        return os.environ["CONTRACT_TOKEN"]

    def set(self, case, token, ctx):
        _use(case, token)


# A taken username or email is a 422 (the RealWorld rule): state, not a schema rule. The coverage
# phase sends the same boundary values many times, so a schema-valid value that an earlier case
# already used is swapped for an unused one of the same length and form. Only schema-valid
# (positive) cases are changed; the values of every case are remembered (a case that is
# negative in another part, e.g. a header, may still sign up).
SIGN_UPS = {"POST /users", "PUT /user"}


def _fresh(value):
    local, at, domain = value.partition("@")
    while True:
        new = "".join(_rng.choice(string.ascii_lowercase) for _ in local) + at + domain
        if new.lower() not in _taken:
            return new


@schemathesis.hook
def before_call(ctx, case, kwargs):
    meta = case.meta
    positive = meta is None or meta.generation.mode.name == "POSITIVE"
    user = case.body.get("user") if isinstance(case.body, dict) else None
    if case.operation.label not in SIGN_UPS or not isinstance(user, dict):
        return
    with _lock:
        for field in ("username", "email"):
            value = user.get(field)
            if isinstance(value, str) and value:
                if positive and value.strip().lower() in _taken:
                    value = user[field] = _fresh(value)
                _taken.add(value.strip().lower())
