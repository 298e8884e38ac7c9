"""OpenAPI generation: every operation documents the errors the framework can answer, with the one error body.

drf-spectacular documents only what a view declares; the 4xx answers that authentication, tenant membership,
lookups, validation, parsing and throttling produce would otherwise be missing from the schema (and clients
could not rely on them). Views may still declare an error themselves (with its own description); a declared
4xx/5xx without a body gets the error body here.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(help_text="機械可読なエラーコード（not_found, invalid など）"),
                "message": serializers.CharField(help_text="日本語のエラーメッセージ"),
                "details": serializers.DictField(help_text="項目ごとのエラーなどの詳細（ない場合は空）"),
            },
        )
    },
)

DESCRIPTIONS = {
    "400": "入力内容・クエリパラメータの誤り（使用できない文字・深すぎる入れ子・大きすぎる本文を含む）、または業務ルールによる拒否",
    "401": "認証されていない（Authorization: Token <key> またはセッションが必要）",
    "403": "この事業所のメンバーでない（X-Tenant を含む）、または権限がない",
    "404": "この事業所に存在しない、またはページ番号が範囲外",
    "415": "対応していない Content-Type（application/json を使用）",
    "429": "リクエストが多すぎる（details.retry_after 秒後に再試行）",
    "409": "同じ Idempotency-Key のリクエストを処理中（しばらく待ってから再試行）",
    "422": "この Idempotency-Key は別の内容のリクエストに使われている",
}

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="任意。同じキーと同じ本文のPOSTは24時間、最初の応答をそのまま返します（処理は1回だけ。応答には "
                "Idempotent-Replayed: true）。同じキーで別の本文は422。255文字以内の英数字・記号。")


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema plus the error answers every operation can give."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST" and not self._is_public():
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            responses.setdefault(code, {"description": DESCRIPTIONS[code]})
        error_body = self._get_response_for_code(ErrorSerializer, "400")["content"]
        for code, response in responses.items():
            if code[0] in "45" and not response.get("content"):
                response["content"] = error_body
        return responses

    def _error_codes(self) -> list[str]:
        codes = []
        public = self._is_public()
        if not public:
            codes += ["401", "403"]
        codes.append("400")  # any request: a NUL byte or lone surrogate in any parameter is refused at the edge
        if self._has_path_parameters() or self._is_paginated_list():
            codes.append("404")
        if self._has_body():
            codes.append("415")
        if getattr(self.view, "throttle_classes", None) and getattr(self.view, "throttle_scope", None):
            codes.append("429")
        if self.method == "POST" and not public:
            codes += ["409", "422"]  # Idempotency-Key (core.idempotency)
        return codes

    def _is_public(self) -> bool:
        try:
            permissions = self.view.get_permissions()
        except Exception:  # noqa: BLE001 - a view that cannot answer without a real request is not public
            return False
        return bool(permissions) and all(isinstance(p, AllowAny) for p in permissions)

    def _has_body(self) -> bool:
        return self.method in {"POST", "PUT", "PATCH"} and bool(self._get_request_body())

    def _has_path_parameters(self) -> bool:
        return "{" in self.path

    def _is_paginated_list(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
