"""Masks secrets in everything sent to a model, keeping GPU UUIDs, image digests and object names readable."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass

MASK = "[REDACTED]"

# Names whose value is a secret when they END a key (`HF_TOKEN`, `clientSecret`, `--db-password`); a key that
# merely contains such a word (`max_num_batched_tokens`, `token_budget`, `secretKeyRef`) is left alone.
_SECRET_KEY_END = (r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|"
                   r"private[_-]?key|account[_-]?key|shared[_-]?access[_-]?key|master[_-]?key|signing[_-]?key|"
                   r"encryption[_-]?key|credentials?|session[_-]?id|cookie)")
_KEY = rf"[A-Za-z0-9_.-]*{_SECRET_KEY_END}"
_VALUE = r"\"[^\"\n]*\"|'[^'\n]*'|[^\s\"',;&}\]]+"  # quoted (spaces allowed) or a bare word
# where a key-value or flag secret can end, searched in the lower-cased text (case-sensitive regexes are fast)
_WORDS = r"(?:password|passwd|passphrase|pwd|secret|token|key|credentials?|id|cookie|auth)"
_KEY_ANCHOR = re.compile(rf"{_WORDS}[\"']?\s*[=:]")
_FLAG_ANCHOR = re.compile(rf"-{_WORDS}(?:\s|[\"']\s*,)")
_PLAIN_VALUES = {"true", "false", "none", "null", "yes", "no", "", "redacted", "***", "******"}
_PLACEHOLDER_WORDS = {"your", "insert", "placeholder", "replace", "replaceme"}
_PASSWORD_KEYS = re.compile(r"(?:password|passwd|passphrase|pwd|secret)$", re.IGNORECASE)
_NUMERIC_OK_KEYS = re.compile(r"(?:token|key|id|cookie)$", re.IGNORECASE)  # `max_token=4096` is a number, not a secret


@dataclass(frozen=True)
class _Rule:
    """A secret pattern. `gate` literals must occur (in the lower-cased text when `fold`) for the pattern to run;
    an `anchor` marks where a match can end, and the pattern is tried only from the word before it. Both only make
    redaction fast, never weaker."""

    kind: str
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]
    gate: tuple[str, ...] = ()
    fold: bool = False
    anchor: re.Pattern[str] | None = None


def _whole(kind: str) -> Callable[[re.Match[str]], str]:
    return lambda m: f"[REDACTED:{kind}]"


def _keep_prefix(group: int = 1) -> Callable[[re.Match[str]], str]:
    return lambda m: f"{m.group(group)}{MASK}"


def _basic_credentials(match: re.Match[str]) -> str:
    """Mask `Basic <base64>` only when it decodes to `user:password`; `Basic authentication` stays."""
    try:
        decoded = base64.b64decode(match.group(2) + "==", validate=False).decode("utf-8", "strict")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return match.group(0)
    return f"{match.group(1)}{MASK}" if ":" in decoded else match.group(0)


def _placeholder(value: str) -> bool:
    """`insert-your-huggingface-token-here` or `xxxx` is no credential, and seeing it is how the agent finds that a
    real one was never set. Weak real passwords (`changeme`) are not placeholders."""
    words = set(re.split(r"[-_ .:/]+", value.lower()))
    return bool(words & _PLACEHOLDER_WORDS) or bool(re.fullmatch(r"x{4,}|\*+", value.lower()))


def _prose(key: str, sep: str | None, quote: str, bare: str) -> bool:
    """`anonymous token: unexpected status` is an error message; `password: changeme` is still a secret."""
    return (sep == ":" and not quote and not _PASSWORD_KEYS.search(key) and bare.isalpha() and len(bare) < 20)


def _key_value(match: re.Match[str]) -> str:
    key, value = match.group("key"), match.group("value")
    quote = value[0] if value[:1] in ("'", '"') else ""
    bare = value.strip("'\"")
    if bare.lower() in _PLAIN_VALUES or bare.startswith(("<", "$", "{", "[REDACTED", "*")):
        return match.group(0)
    if bare.isdigit() and _NUMERIC_OK_KEYS.search(key):
        return match.group(0)
    if _prose(key, match.groupdict().get("sep"), quote, bare) or _placeholder(bare):
        return match.group(0)
    return f"{match.group('lead')}{quote}{MASK}{quote}"


_AWS_PREFIXES = ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA")
_GITHUB_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")
_QUERY_GATE = ("token=", "key=", "sig=", "signature=", "password=", "secret=", "credential=")

_RULES: tuple[_Rule, ...] = (
    _Rule("private-key", re.compile(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
        re.DOTALL), _whole("private-key"), gate=("PRIVATE KEY",)),
    # scheme://user:password@host -> scheme://user:[REDACTED]@host (postgres, mysql, redis, amqp, mongodb+srv, https)
    _Rule("url-password", re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@'\"\[]*:)(?!\[REDACTED)[^\s@/'\"]+(?=@)"),
          _keep_prefix(), gate=("://",)),
    _Rule("auth-header", re.compile(r"(?i)(\b(?:proxy-)?authorization\"?\s*[:=]\s*\"?)(?!\s*\[REDACTED)[^\r\n\"']+"),
          _keep_prefix(), gate=("authorization",), fold=True),
    # a bearer credential has a digit or is long: `Bearer authentication` in a log line is prose
    _Rule("bearer", re.compile(r"(?i)(\bbearer\s+)(?!\[REDACTED)(?:(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}|"
                               r"[A-Za-z0-9._~+/=-]{20,})"), _keep_prefix(), gate=("bearer",), fold=True),
    _Rule("curl-user", re.compile(r"((?<!\S)(?:-u|--user)\s+[\"']?[^\s:\"']+:)[^\s\"']+"), _keep_prefix(),
          gate=("-u", "--user")),
    _Rule("basic-auth", re.compile(r"(?i)(\bbasic\s+)([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])"),
          _basic_credentials, gate=("basic",), fold=True),
    _Rule("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), _whole("jwt"),
          gate=("eyJ",)),
    _Rule("openai-key", re.compile(r"(?<![A-Za-z0-9_-])sk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_-]{20,}"), _whole("api-key"),
          gate=("sk-",)),
    _Rule("stripe-key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"), _whole("api-key"),
          gate=("_live_", "_test_")),
    _Rule("huggingface-token", re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{30,}"), _whole("hf-token"), gate=("hf_",)),
    _Rule("slack-token", re.compile(r"\bxox[abposer]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}"),
          _whole("slack-token"), gate=("xox", "xapp-")),
    _Rule("slack-webhook", re.compile(r"(https://hooks\.slack\.com/services/)[A-Za-z0-9/_-]+"), _keep_prefix(),
          gate=("hooks.slack.com",)),
    _Rule("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
          _whole("github-token"), gate=_GITHUB_PREFIXES),
    _Rule("nvidia-api-key", re.compile(r"\bnvapi-[A-Za-z0-9_-]{20,}"), _whole("api-key"), gate=("nvapi-",)),
    _Rule("grafana-token", re.compile(r"\bglsa_[A-Za-z0-9_]{24,}"), _whole("api-key"), gate=("glsa_",)),
    _Rule("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), _whole("gitlab-token"), gate=("glpat-",)),
    _Rule("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), _whole("npm-token"), gate=("npm_",)),
    _Rule("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), _whole("api-key"), gate=("AIza",)),
    _Rule("aws-access-key", re.compile(rf"(?<![A-Z0-9])(?:{'|'.join(_AWS_PREFIXES)})[A-Z0-9]{{16}}(?![A-Z0-9])"),
          _whole("aws-key"), gate=_AWS_PREFIXES),
    _Rule("url-query-secret", re.compile(
        r"(?i)([?&;](?:access_token|id_token|refresh_token|token|api_key|apikey|key|sig|signature|x-amz-signature|"
        r"x-amz-security-token|x-amz-credential|password|secret|client_secret)=)(?!\[REDACTED)[^&\s\"'#]+"),
        _keep_prefix(), gate=_QUERY_GATE, fold=True),
    # KEY=value, KEY: value, "key": "value", --password=value
    _Rule("key-value", re.compile(
        rf"(?P<lead>(?<![A-Za-z0-9])(?P<key>{_KEY}|auth)[\"']?\s*(?P<sep>[=:])\s*)(?P<value>{_VALUE})",
        re.IGNORECASE), _key_value, anchor=_KEY_ANCHOR),
    # --password value, --hf-token value, ["--api-key", "value"] (a CLI flag and its separate argument)
    _Rule("flag-value", re.compile(
        rf"(?P<lead>(?<![A-Za-z0-9-])--?(?P<key>{_KEY})(?:\s+|[\"']\s*,\s*))(?P<value>(?![\"']?-){_VALUE})",
        re.IGNORECASE), _key_value, anchor=_FLAG_ANCHOR),
)


class Redactor:
    """Applies every secret rule to a text; counts what it masked so the transcript can say so."""

    def __init__(self) -> None:
        self.masked = 0

    def redact(self, text: str) -> str:
        if not text:
            return text
        lowered = text.lower()
        for rule in _RULES:
            if rule.gate and not any(literal in (lowered if rule.fold else text) for literal in rule.gate):
                continue
            if rule.anchor is not None and len(lowered) == len(text):
                text, n = _on_anchors(rule, text, lowered)
            else:
                text, n = rule.pattern.subn(rule.replace, text)
            if n:
                self.masked += n
                lowered = text.lower()
        return text


def _on_anchors(rule: _Rule, text: str, lowered: str) -> tuple[str, int]:
    """Try the rule only where its anchor (run on the lower-cased text) found a key's end."""
    assert rule.anchor is not None
    pieces, position, masked = [], 0, 0
    for hit in rule.anchor.finditer(lowered):
        start = hit.start()
        while start > position and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
            start -= 1
        if start < position:
            continue
        found = rule.pattern.match(text, start)
        if found is None:
            continue
        replaced = rule.replace(found)
        pieces += [text[position:start], replaced]
        position = found.end()
        masked += replaced != found.group(0)
    pieces.append(text[position:])
    return "".join(pieces), masked


def redact(text: str) -> str:
    """Redact one text with a fresh redactor."""
    return Redactor().redact(text)
