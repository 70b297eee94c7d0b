"""The OpenAPI schema documents the error answers of API.md on every operation that can give them."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

ERROR_DETAIL = {
    "type": "object",
    "description": "一条说明原因的信息（中文，或请求 Accept-Language 的语言）。",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERRORS = {
    "type": "object",
    "description": (
        "按字段列出的错误信息：{字段: [信息, …]}，整体错误在 non_field_errors 中；嵌套字段的错误按同样方式嵌套；"
        "请求正文无法解析或违反业务规则时为 {detail: 信息}。"
    ),
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
}

DESCRIPTIONS = {
    "400": "输入有误：逐字段说明原因。",
    "401": "未登录，或令牌无效。",
    "403": "已登录，但当前角色无权执行此操作（或会话请求缺少 CSRF 令牌）。",
    "404": "对象不存在，或不在当前用户的管辖范围内；列表的页码超出范围。",
    "409": "状态冲突：对象的状态已变化（例如他人同时操作），请刷新后重试。",
    "429": "尝试次数过多，已被暂时锁定。",
}


class AutoSchema(openapi.AutoSchema):
    """Adds the error answers an operation can give, by rules that follow from how the API is built:

    - 400 where the operation reads input (a body or query parameters) and on every write (a service may
      refuse the state it finds, e.g. submitting a draft without its required figures);
    - 401 where a credential is read (an invalid token is refused even where no sign-in is needed);
    - 403 where a sign-in is needed: the table of rights may refuse the role, and session writes need CSRF;
    - 404 where a path names an object (outside the caller's scope it does not exist) and on paginated
      lists (a page past the end);
    - 409 on every write of a signed-in user: services guard state and refuse a conflicting transition;
    - 429 where the view limits attempts (`throttle_scope` or throttle classes).

    Answers an operation documents itself (`extend_schema(responses=…)`) are kept as they are.
    """

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        detail = self._component("ErrorDetail", ERROR_DETAIL)
        invalid = self._component("ValidationErrors", VALIDATION_ERRORS)
        responses = operation["responses"]
        for code in self._error_codes(operation):
            responses.setdefault(
                code,
                {
                    "description": DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": invalid if code == "400" else detail}},
                },
            )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _component(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component.ref

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        view = self.view
        # The view's own answers for this method (drf-spectacular sets a mock request of the method being
        # documented): the token view, for one, needs no sign-in to POST but a token to DELETE.
        needs_sign_in = not all(isinstance(p, AllowAny) for p in view.get_permissions())
        parameters = operation.get("parameters", [])
        codes = []
        reads_input = "requestBody" in operation or any(p.get("in") == "query" for p in parameters)
        if reads_input or self.method in WRITE_METHODS:
            codes.append("400")
        if view.get_authenticators():
            codes.append("401")
        if needs_sign_in:
            codes.append("403")
        paginated = (
            self.method == "GET"
            and getattr(view, "pagination_class", None) is not None
            and self._is_list_view()
        )
        if any(p.get("in") == "path" for p in parameters) or paginated:
            codes.append("404")
        if needs_sign_in and self.method in WRITE_METHODS:
            codes.append("409")
        if getattr(view, "throttle_scope", None) or view.throttle_classes:
            codes.append("429")
        return codes
