"""What each role should do next, for the home page. Sections register their own steps, so the
home page grows with the platform without knowing every app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Step:
    title: Any
    text: Any
    url: str = ""
    count: int | None = None
    urgent: bool = False


StepProvider = Callable[[Any], list[Step]]
_providers: list[StepProvider] = []


def register(provider: StepProvider) -> StepProvider:
    """Decorator: `provider(user)` returns the steps its section suggests to that user."""
    _providers.append(provider)
    return provider


def next_steps(user: Any) -> list[Step]:
    steps: list[Step] = []
    for provider in _providers:
        steps.extend(provider(user))
    if not steps:
        steps.append(
            Step(
                title=_("暂无待办事项"),
                text=_("当前没有需要您处理的工作。可通过左侧导航浏览各项数据。"),
            )
        )
    return steps
