"""Password hashing with Argon2id, run off the event loop (hashing takes ~50 ms of CPU)."""

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)



# A hash made with the same parameters as real ones, so checking against it takes as long.
_DUMMY_HASH = _hasher.hash("tongxin-no-such-user")


async def verify_dummy(password: str) -> None:
    """Spend the time a real check takes, for a username that does not exist (timing reveals nothing)."""
    await verify_password(_DUMMY_HASH, password)
