from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.limits import SHORT_TEXT
from accounts.models import AuditEntry, User


class ProtectedFileField(serializers.FileField):
    """A stored file: written as an upload, read as the URL of the permission-checked view that downloads
    it (`url_name`, given the row's `pk`), never as a path under MEDIA_URL (accounts/files.py)."""

    def __init__(
        self, *, url_name: str, url_kwargs: Callable[[Any], dict[str, Any]] | None = None, **kwargs: Any
    ):
        self.url_name = url_name
        self.url_kwargs = url_kwargs or (lambda obj: {"pk": obj.pk})
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str | None:
        if not value:
            return None
        url = reverse(self.url_name, kwargs=self.url_kwargs(value.instance))
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"), max_length=150)
    password = serializers.CharField(
        label=_("密码"), style={"input_type": "password"}, trim_whitespace=False, max_length=4096
    )
    otp_code = serializers.CharField(
        label=_("两步验证码"),
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="for accounts with two-factor sign-in: the authenticator's current 6 digits or a recovery code",
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="shown once; send it as `Authorization: Token <token>`")
    expires_at = serializers.DateTimeField(help_text="after this the token is refused (API_TOKEN_TTL_DAYS)")


class UserSerializer(serializers.ModelSerializer):
    district: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    email = serializers.CharField(read_only=True, allow_blank=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "role_display",
            "district",
            "enterprise",
            "is_active",
        ]
        read_only_fields = fields


class MeSerializer(UserSerializer):
    district_name = serializers.CharField(
        source="district.name", read_only=True, default=None, allow_null=True
    )
    enterprise_name = serializers.CharField(
        source="enterprise.name", read_only=True, default=None, allow_null=True
    )

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "district_name", "enterprise_name"]
        read_only_fields = fields


class AuditEntrySerializer(serializers.ModelSerializer):
    action_label = serializers.SerializerMethodField(help_text="The action in words (the audit page's).")
    object_type_label = serializers.SerializerMethodField(help_text="The kind of object in words.")

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "action",
            "action_label",
            "object_type_label",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "reason",
        ]
        read_only_fields = fields

    def get_action_label(self, obj: AuditEntry) -> str:
        from accounts import audit

        return audit.action_label(obj.action)

    def get_object_type_label(self, obj: AuditEntry) -> str:
        from accounts import audit_trail

        return audit_trail.object_type_label(obj.object_type)


class NoteSerializer(serializers.Serializer):
    """An optional note on a workflow step (a run, an application, a review)."""

    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=SHORT_TEXT)
