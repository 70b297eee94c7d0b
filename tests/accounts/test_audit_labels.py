"""Every action the code can record has words (Chinese in the source, English in the catalogue).

The scan reads the source for what `audit.record`, `audit.record_security_event` and `AuditEntry(...)`
are given: each dotted string literal on an `action=` line, and each f-string `action=f"prefix.{…}"`,
whose possible values are listed below (a new f-string pattern fails the test until it is listed).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from accounts import audit

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "factories", "reporting", "cultivation")
LITERAL = re.compile(r"\"([a-z_0-9]+\.[a-z_0-9]+)\"")
FSTRING = re.compile(r"action=f\"([a-z_0-9]+)\.\{")

# prefix of an f-string action → the values its placeholder takes (the transitions that reach it)
DYNAMIC = {
    "submission": ("submit", "approve", "verify", "return"),  # reporting/services.py `_move`
    "correction": ("approve", "reject"),  # reporting/services.py `correction_decide`
    "pool_membership": ("exit", "graduate"),  # cultivation/services/pool.py `_leave`
    "district_report": ("acknowledge", "return"),  # cultivation/services/reports.py `_move`
    "objection": ("accept", "reject"),  # factories/grading/services.py `_decide`
}


def _sources() -> list[Path]:
    return [
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path.name != "audit_labels.py"
    ]


def recordable_actions() -> set[str]:
    found: set[str] = set()
    for path in _sources():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "action=" not in line:
                continue
            # what the argument is given: up to the next comma (a literal, or `"a.b" if … else "a.c"`)
            stripped = "action=" + line.split("action=", 1)[1].split(",", 1)[0]
            for prefix in FSTRING.findall(stripped):
                assert prefix in DYNAMIC, f'{path}: list the values of action=f"{prefix}.{{…}}" in DYNAMIC'
                found.update(f"{prefix}.{value}" for value in DYNAMIC[prefix])
            found.update(LITERAL.findall(stripped))
    return found


def test_the_scan_finds_the_actions_it_should():
    actions = recordable_actions()
    assert {
        "submission.approve",
        "auth.login",
        "auth.login_failed",
        "reminder.send",
        "token.issue",
    } <= actions
    assert {"user.create", "registration.approve", "auth.2fa_enable", "pool_membership.graduate"} <= actions
    assert len(actions) > 80


def test_every_recordable_action_has_chinese_and_english_words():
    missing = sorted(action for action in recordable_actions() if action not in audit.ACTION_LABELS)
    assert not missing, f"actions without words (register them in the app's audit_labels.py): {missing}"
    for action in recordable_actions():
        with translation.override("zh-hans"):
            chinese = audit.action_label(action)
        with translation.override("en"):
            english = audit.action_label(action)
        assert re.search(r"[\u4e00-\u9fff]", chinese), (action, chinese)
        assert chinese != english and not re.search(r"[\u4e00-\u9fff]", english), (action, english)


def test_an_action_nobody_registered_shows_as_stored():
    assert audit.action_label("nothing.known") == "nothing.known"
