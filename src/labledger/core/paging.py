"""Page tokens of the listings that page by position (sealed runs, blob checks).

A token is opaque to clients: the base64url (unpadded) of the listing's name and the last
item's key, so a token of one listing is refused by another, and the encoding can change
without a client noticing.  (Run searches have their own tokens, bound to the search:
``store/search.py``.)
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from labledger.core.errors import InvalidInputError

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,200}")
TOKEN_PATTERN = f"^{_TOKEN_RE.pattern}$"  # as the OpenAPI document publishes it


def encode_page_token(listing: str, position: str) -> str:
    """The token of the page that starts after ``position`` in ``listing``."""
    raw = f"{listing}:{position}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_page_token(listing: str, token: object, is_position: Callable[[str], bool]) -> str:
    """The position ``token`` stands for; ``InvalidInputError`` (field ``page_token``) for
    anything that is not a token this listing returned."""
    if isinstance(token, str) and _TOKEN_RE.fullmatch(token):
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        except (binascii.Error, ValueError):
            raw = ""
        name, _, position = raw.partition(":")
        if name == listing and is_position(position):
            return position
    raise InvalidInputError(
        f"page_token is not a token this listing ({listing}) returned: pass next_page_token "
        "of the previous page",
        details={"field": "page_token"},
    )
