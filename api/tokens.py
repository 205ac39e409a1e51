"""The token string: "vnd_<organization>_<public id>_<secret>".

The organization part (its id in base 36) says which organization's rows to look the token up
in, the public id which row; only a hash of the secret part is stored, compared in constant
time. The secret is 256 random bits, so one SHA-256 is enough (a password hash's slowness
guards guessable inputs, which this is not)."""

import hashlib
import hmac
import re
import secrets
from typing import NamedTuple

from .models import TOKEN_PREFIX, organization_part

# Letters and digits that cannot be mistaken for one another when read aloud or copied.
PUBLIC_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PUBLIC_LENGTH = 8
_TOKEN = re.compile(
    rf"^{TOKEN_PREFIX}(?P<org>[0-9a-z]{{1,13}})_(?P<public>[{PUBLIC_ALPHABET}]{{{PUBLIC_LENGTH}}})"
    r"_(?P<secret>[A-Za-z0-9_-]{43})$"
)


class ParsedToken(NamedTuple):
    organization_id: int
    public_id: str
    secret: str


def new_public_id() -> str:
    return "".join(secrets.choice(PUBLIC_ALPHABET) for _ in range(PUBLIC_LENGTH))


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


def token_string(organization_id: int, public_id: str, secret: str) -> str:
    return f"{TOKEN_PREFIX}{organization_part(organization_id)}_{public_id}_{secret}"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Whether `secret` hashes to `stored_hash`, in time independent of where they differ."""
    return hmac.compare_digest(secret_hash(secret), stored_hash)


def parse(token: str) -> ParsedToken | None:
    """The parts of a well-formed token string; None for anything else."""
    match = _TOKEN.match(token or "")
    if match is None:
        return None
    organization_id = int(match["org"], 36)
    if organization_id <= 0 or organization_id >= 2**63:
        return None
    return ParsedToken(organization_id, match["public"], match["secret"])
