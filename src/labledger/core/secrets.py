"""Credentials are never stored: redaction by name and by shape.

Pure functions shared by the SDK (config, params, tags and notes before anything is
journaled, spooled or sent; the captured environment) and the services (the same fields
again, for clients that are not the SDK).  Every function returns a new value, is
deterministic, and is idempotent: redacting a redacted value changes nothing, so a
write-once param the SDK already redacted is stored unchanged and a retried write stays
the same write.

* By **name** (:func:`is_secret_name`): an environment variable, config key or command-line
  option whose name says it holds a credential has its whole value replaced.
* By **shape** (:func:`redact_value`): inside any string, substrings shaped like a credential
  (URL passwords, auth headers, JWTs, vendor tokens, PEM private keys, and the value of a
  secret-named ``name=value``, ``name: value``, ``"name": "value"`` or ``--name value``) are
  replaced and the rest of the text is kept.  A random string of unknown format under an
  innocent name cannot be recognised; only the name rules catch it.

Names are split into lower-case words at ``_ - . /``, spaces, digits and camelCase humps
(``AWS_SECRET_ACCESS_KEY``, ``apiKey``, ``db.password``), then:

* secret wherever it appears: password, passwd, passphrase, pwd, secret, credential, creds,
  auth, authorization, oauth, cookie, dsn, private, signature, jwt, webhook, and glued forms
  such as ``apikey``, ``accesstoken``, ``dbpassword``.  ``PWD`` and ``OLDPWD`` on their own
  are the shell's working directory and stay.
* ``key`` / ``token``: secret as the last word (``API_KEY``, ``GITHUB_TOKEN``, bare ``key``) or
  as ``key_id``, unless the word before names a data-structure or model term (``sort_key``,
  ``primary_key``, ``run_key``, ``pad_token``, ``eos_token``, ``page_token``).  Followed by
  another word they are hyperparameters (``key_dim``, ``key_size``, ``num_key_value_heads``,
  ``token_type_ids``) and stay.  Plurals stay (``num_keys``, ``max_tokens``,
  ``missing_keys``) unless qualified (``api_keys``, ``access_tokens``).  ``KEYBOARD``,
  ``MONKEY`` and ``tokenizer`` are other words.
* ``session`` as the last word or in ``session_id``; ``pass`` as the last word after a
  service word (``DB_PASS``, ``SMTP_PASS``) so that ``second_pass`` stays; ``pat`` as the
  last word (``GITHUB_PAT``); ``connection_string`` and ``conn_str``.

False positives are cheaper than leaks, but a tracker that hides ``max_tokens`` or
``key_dim`` loses the provenance it exists for.  40-hex git SHAs and UUIDs are never touched.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

REDACTED: Final = "[REDACTED]"

_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_ALWAYS = frozenset(
    "password passwords passwd passphrase pwd secret secrets credential credentials creds "
    "auth authorization oauth cookie cookies dsn private signature jwt webhook "
    "apikey apikeys accesskey secretkey privatekey authtoken accesstoken refreshtoken "
    "idtoken apitoken sessionid sessiontoken sessionkey clientsecret connectionstring "
    "connstr".split()
)
_GLUED_SUFFIXES = ("password", "passwd", "secret", "token", "apikey")
_NOT_GLUED = frozenset({"subtoken", "pretoken", "detoken"})
_KEY_FOLLOWERS = frozenset({"id", "secret", "material", "string", "pem"})
_BENIGN_BEFORE_KEY = frozenset(
    "sort primary foreign partition cache lookup dict metric monitor group index join shard "
    "routing row column hash range public pub query name map label target input output "
    "attention state batch image text feature field sample split class record order unique "
    "composite natural surrogate idempotency dedup run node hot".split()
)
_BENIGN_BEFORE_TOKEN = frozenset(
    "pad bos eos unk sep cls mask start end stop special image audio video text vision eot "
    "max min num n first last next prev page cancellation continuation".split()
)
_CREDENTIAL_QUALIFIERS = frozenset(
    "api access auth ssh signing encryption master bearer refresh client service deploy "
    "license app personal gpg pgp".split()
)
_PASS_QUALIFIERS = frozenset(
    "db database smtp mail email user admin root mysql postgres pg redis ftp ldap proxy "
    "http https basic api app keystore store".split()
)
_WORKING_DIRS = frozenset({"pwd", "oldpwd"})


def _words(name: str) -> list[str]:
    words = [w.lower() for w in _WORD_RE.findall(name)]
    while words and words[-1].isdigit():  # API_KEY_2 is still an API key
        words.pop()
    return words


def _word_is_secret(word: str, before: str, after: str) -> bool:
    if word in _ALWAYS:
        return True
    if word not in _NOT_GLUED and any(word.endswith(s) and word != s for s in _GLUED_SUFFIXES):
        return True
    if word == "key":
        return before not in _BENIGN_BEFORE_KEY and (not after or after in _KEY_FOLLOWERS)
    if word == "token":
        return before not in _BENIGN_BEFORE_TOKEN and not after
    if word in ("keys", "tokens"):
        return before in _CREDENTIAL_QUALIFIERS
    if word == "session":
        return not after or after == "id"
    if word == "pass":
        return not after and (not before or before in _PASS_QUALIFIERS)
    if word == "pat":  # GITHUB_PAT, GH_PAT: a personal access token
        return not after
    if word in ("connection", "conn"):
        return after in ("string", "str")
    return False


def is_secret_name(name: str) -> bool:
    """True when a variable, key or option called ``name`` probably holds a credential."""
    if name.strip().lower() in _WORKING_DIRS:
        return False
    words = _words(name)
    padded = ["", *words, ""]
    return any(
        _word_is_secret(padded[i], padded[i - 1], padded[i + 1]) for i in range(1, len(padded) - 1)
    )


def is_secret_param(name: str, value: str) -> bool:
    """``name=value`` inside text or argv (``name`` may carry leading ``-``, ``+`` or ``~``):
    ``PWD=/path`` is a directory, ``PWD=x`` (ODBC) a password."""
    bare = name.lstrip("-+~")
    if bare.lower() in _WORKING_DIRS:
        return not re.match(r"[/~\\]|[A-Za-z]:[\\/]", value)
    return bare.lower() == "sig" or is_secret_name(bare)


# -- value shapes ----------------------------------------------------------------------------
# Each pattern names the secret part ``s`` (``dq``/``sq`` for a quoted value); the text around
# it is kept.  A check, when given, must also accept the match for it to be replaced.

_Check = Callable[[re.Match[str]], bool]
_GROUPS = ("s", "dq", "sq")


def _secret_part(m: re.Match[str]) -> str:
    return next(g for g in _GROUPS if g in m.re.groupindex and m.group(g) is not None)


def _random_looking(*classes: str) -> _Check:
    """The part after the 3-character prefix has a character of every class."""
    return lambda m: all(re.search(c, m.group("s")[3:]) for c in classes)


def _basic_credentials(m: re.Match[str]) -> bool:
    try:
        return b":" in base64.b64decode(m.group("s"), validate=True)  # user:password
    except (binascii.Error, ValueError):
        return False


def _not_hex(m: re.Match[str]) -> bool:  # a 40-hex git SHA is provenance, not a secret
    return re.fullmatch(r"[0-9a-fA-F]+", m.group("s")) is None


def _secret_pair(m: re.Match[str]) -> bool:
    value = m.group(_secret_part(m))
    return bool(value) and is_secret_param(m.group("name"), value)


def _value(unquoted: str) -> str:
    return rf"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<s>{unquoted}))"


_B = r"(?<![A-Za-z0-9_\-])"  # a token starts here, not inside a longer word
_NAME = r"(?P<name>[-+~]{0,2}[A-Za-z_][A-Za-z0-9_.\-]*)"
_RULES: tuple[tuple[str, _Check | None], ...] = (
    # PEM private key, the whole block (an unterminated one up to the end of the text)
    (
        r"(?s)(?P<s>-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|.*))",
        None,
    ),
    # scheme://user:password@host  (the last @ before the path ends the password)
    (r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@\[\]]*:(?P<s>[^\s/?#]+)@", None),
    # https://<token>@host  (a token as the user name, as Git hosts accept)
    (r"\bhttps?://(?P<s>[A-Za-z0-9_\-.~%]{16,})@", None),
    (r"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[\w/\-]+)", None),
    # Authorization: <scheme> <credentials>; Bearer <token>; Basic base64(user:password)
    (
        r"(?i)\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?"
        r"(?:[A-Za-z][A-Za-z0-9_\-]*\s+)?(?P<s>[^\s\"',;]+)",
        None,
    ),
    (r"(?i)\bbearer\s+(?P<s>[A-Za-z0-9\-._~+/]{8,}=*)", None),
    (r"\b[Bb]asic\s+(?P<s>[A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])", _basic_credentials),
    # JWT: base64url header.payload.signature, the header a JSON object ("eyJ")
    (_B + r"(?P<s>eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]*)", None),
    (_B + r"(?P<s>gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,})", None),
    (_B + r"(?P<s>gl(?:pat|dt|rt|ptt|ft|soat|cbt|imt|agent)-[\w\-]{20,})", None),
    (_B + r"(?P<s>(?:xox[abposr]|xapp)-[0-9]+-[A-Za-z0-9\-]{8,})", None),  # Slack
    (_B + r"(?P<s>AIza[0-9A-Za-z_\-]{35})", None),  # Google API key
    (_B + r"(?P<s>(?:(?:sk|rk)_(?:live|test)_|whsec_)[0-9A-Za-z]{16,})", None),  # Stripe
    (_B + r"(?P<s>sk-[A-Za-z0-9_\-]{20,})", _random_looking("[A-Z]", "[a-z]", "[0-9]")),  # OpenAI
    (_B + r"(?P<s>hf_[A-Za-z0-9]{30,})", _random_looking("[A-Z]", "[a-z]")),  # Hugging Face
    (r"(?<![A-Z0-9])(?P<s>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Z0-9])", None),  # AWS key id
    # an AWS secret access key (40 base64 characters) after an aws...secret/key label
    (
        r"(?i:aws[\w\-. ]{0,30}?(?:secret|key)[\w\-. ]{0,30}?[\"']?\s*[:=]\s*[\"']?)"
        r"(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        _not_hex,
    ),
    # "name": "value" in JSON or Python reprs
    (
        r"(?P<nq>[\"'])(?P<name>[^\"'\\\n]{1,200})(?P=nq)\s*:\s*"
        r"(?P<vq>[\"'])(?P<s>(?:(?!(?P=vq))[^\\]|\\.)*)(?P=vq)",
        _secret_pair,
    ),
    # name=value: query strings, connection strings, --opt=value, KEY=value
    (r"(?<![A-Za-z0-9_.\-])" + _NAME + "=" + _value(r"[^&;\s\"',]*"), _secret_pair),
    # name: value (YAML, HTTP headers other than Authorization, handled above)
    (
        r"(?<![A-Za-z0-9_.\-])(?!(?i:(?:proxy-)?authorization)\s*:)"
        + _NAME
        + r"[ \t]*:[ \t]+"  # on one line, so a non-secret match cannot swallow the next
        + _value(r"[^\s\"',;]+"),
        _secret_pair,
    ),
    # --name value, a command line held in one string
    (
        r"(?<![A-Za-z0-9_\-])(?P<name>--[A-Za-z][\w.\-]*)[ \t]+" + _value(r"[^\s\-\"'][^\s\"']*"),
        _secret_pair,
    ),
)


def _replacer(check: _Check | None) -> Callable[[re.Match[str]], str]:
    def replace(m: re.Match[str]) -> str:
        if check is not None and not check(m):
            return m.group(0)
        start, end = m.span(_secret_part(m))
        return m.string[m.start() : start] + REDACTED + m.string[end : m.end()]

    return replace


_REPLACERS = tuple((re.compile(pattern), _replacer(check)) for pattern, check in _RULES)


_MAX_PASSES = 8


def redact_value(value: str) -> str:
    """``value`` with every secret-shaped substring replaced by :data:`REDACTED`.

    Passes repeat until one changes nothing: a token glued to another (``AKIA…ghp_…``) is
    only recognised once its neighbour is gone, and the result must be a fixed point so
    that redacting again (the server after the SDK) changes nothing.
    """
    for _ in range(_MAX_PASSES):
        before = value
        for pattern, replace in _REPLACERS:
            value = pattern.sub(replace, value)
        if value == before:
            break
    return value


def redact_config(obj: Any) -> Any:
    """A redacted copy of a config tree (mappings, lists, tuples, sets; the input is untouched).

    A secret-named mapping key has its whole value replaced, whatever its type; every string
    (keys included) goes through :func:`redact_value`; other scalars are returned as they are.
    Mappings come back as plain dicts.
    """
    if isinstance(obj, str):
        return redact_value(obj)
    if isinstance(obj, Mapping):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            if isinstance(key, str):
                out[redact_value(key)] = REDACTED if is_secret_name(key) else redact_config(value)
            else:
                out[key] = redact_config(value)
        return out
    if isinstance(obj, list):
        return [redact_config(item) for item in obj]
    if isinstance(obj, tuple):
        items = [redact_config(item) for item in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)  # namedtuples
    if isinstance(obj, set | frozenset):
        return type(obj)(redact_config(item) for item in obj)
    return obj


def redact_fields(fields: Mapping[Any, Any]) -> dict[Any, Any]:
    """Flat params or tags (name -> text) as they may be stored.

    A secret-named field (by the whole name: ``api_key``, ``db.password``,
    ``aws.secret_access_key``) becomes :data:`REDACTED`; any other text value is redacted by
    shape, and so are the names.  Values that are not strings (and names that are not) are
    left for validation to refuse.  Idempotent: ``redact_fields(redact_fields(x)) ==
    redact_fields(x)``.
    """
    out: dict[Any, Any] = {}
    for name, value in fields.items():
        if not isinstance(name, str):
            out[name] = value
            continue
        if isinstance(value, str) and value != REDACTED:
            value = REDACTED if is_secret_name(name) else redact_value(value)
        out[redact_value(name)] = value
    return out
