"""Secrets are compared in constant time: no ``==``/``!=`` on a token, hash or signature.

A comparison that stops at the first differing byte tells a patient client, by its
timing, how much of a guessed secret was right. This reads every module of src/ with
``ast`` and flags a comparison where either side names a secret (token, secret, csrf,
signature, mac, digest, password, hash). SQL column expressions (``Model.column == x``:
the database looks up a SHA-256 digest of a high-entropy secret, nothing to guess byte
by byte) and a short list of reviewed exceptions, each with its reason, are allowed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "reelvault"
SECRET_NAME = re.compile(r"token|secret|csrf|signature|mac\b|_mac|digest|password|hash", re.I)
NOT_SECRET = re.compile(r"token_count|tokens?_per|version_hash|hashes_per", re.I)

# "path:line-free key" -> why comparing it with == is fine.
REVIEWED = {
    "privacy/audit_log.py: entry.prev_hash": (
        "the audit chain's verifier compares hashes it computed itself from rows it holds: "
        "nobody can time it remotely"
    ),
    "privacy/audit_log.py: entry_hash(entry)": "the same offline chain check (unkeyed legacy)",
    "cli/global_options.py: token": "a command-line word compared with '--', not a secret",
    "accounts/oidc/flow.py: metadata.token_auth": (
        "the provider's published token endpoint auth method compared with a method name"
    ),
    "accounts/oidc/identities.py: _linked(runtime, digest)": (
        "compares two account ids (which account a provider identity is linked to), not a "
        "secret; the keyed digest itself is looked up by the database"
    ),
}


def _name(node: ast.expr) -> str:
    return ast.unparse(node)


def _is_sql_column(node: ast.expr) -> bool:
    # Account.email_lookup, NotifySubscription.address_hash: a mapped class's column.
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id[:1].isupper()
    )


def _is_length(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def secret_comparisons(root: Path = SRC) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            if not any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                continue
            sides = [node.left, *node.comparators]
            if any(_is_sql_column(side) or _is_length(side) for side in sides):
                continue
            if any(isinstance(side, ast.Constant) and side.value is None for side in sides):
                continue
            for side in sides:
                text = _name(side)
                if SECRET_NAME.search(text) and not NOT_SECRET.search(text):
                    if f"{relative}: {text}" not in REVIEWED:
                        found.append(f"{relative}:{node.lineno}: {ast.unparse(node)}")
                    break
    return found


def test_no_secret_is_compared_with_equals() -> None:
    assert secret_comparisons() == [], "use hmac.compare_digest for secrets"


def test_the_check_catches_a_plain_comparison(tmp_path: Path) -> None:
    # The scanner itself: the shapes a regression would take are reported, the fix is not.
    (tmp_path / "bad.py").write_text(
        "def ok(sent, request, key):\n"
        "    if request.cookies.get('rv_csrf') != sent:\n"
        "        return False\n"
        "    return sign(key, sent) == request.headers['webhook-signature']\n"
    )
    (tmp_path / "good.py").write_text(
        "import hmac\n"
        "def ok(sent, expected_token):\n"
        "    return hmac.compare_digest(sent, expected_token)\n"
    )
    assert secret_comparisons(tmp_path) == [
        "bad.py:2: request.cookies.get('rv_csrf') != sent",
        "bad.py:4: sign(key, sent) == request.headers['webhook-signature']",
    ]
