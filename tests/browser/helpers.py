"""What the browser journeys share: Playwright's waiting assertions, the page's flash messages and heading,
and answering confirm() dialogs."""

from __future__ import annotations

from typing import Any


def expect(target: Any) -> Any:
    """Playwright's auto-waiting assertions, imported late so the module loads without Playwright."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def flash(page: Any) -> Any:
    """The messages the last action left at the top of the page."""
    return page.locator(".messages")


def heading(page: Any) -> Any:
    return page.get_by_role("heading", level=1)


def accept_dialogs(page: Any) -> list[str]:
    """Answer “确定” to every confirm() and remember what was asked."""
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    return asked
