from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import Role
from accounts.serializers import UserSerializer
from factories import services
from factories.models import (
    District,
    Enterprise,
    GreenFactory,
    Industry,
    RegistrationRequest,
    RevocationProposal,
)


class DistrictSerializer(serializers.ModelSerializer):
    successor: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = District
        fields = ["code", "name", "kind", "kind_display", "valid_from", "valid_to", "successor"]
        read_only_fields = fields


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["code", "name"]
        read_only_fields = fields


class EnterpriseSerializer(serializers.ModelSerializer):
    """Writes go through factories.services; `sequence` follows from the green-factory register."""

    district = serializers.SlugRelatedField(slug_field="code", queryset=District.objects.all())
    industry = serializers.CharField(source="industry_code", max_length=4, help_text="两位大类或四位小类代码")
    sequence = serializers.CharField(read_only=True)
    tier = serializers.CharField(source="green_factory.tier", read_only=True, default=None, allow_null=True)
    green_factory_status = serializers.CharField(
        source="green_factory.status", read_only=True, default=None, allow_null=True
    )
    district_name = serializers.CharField(source="district.name", read_only=True)
    industry_name = serializers.CharField(source="industry.name", read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "credit_code",
            "district",
            "district_name",
            "industry",
            "industry_name",
            "legal_form",
            "address",
            "contact_name",
            "contact_phone",
            "contact_email",
            "sequence",
            "tier",
            "green_factory_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "sequence", "tier", "green_factory_status", "created_at", "updated_at"]
        # Uniqueness and the check digit are judged by the service, whose messages a clerk understands.
        extra_kwargs: dict[str, dict[str, Any]] = {"credit_code": {"validators": []}}

    def _service_data(self, validated: dict[str, Any]) -> dict[str, Any]:
        # The API names the industry by its code; the service derives the division from it.
        return dict(validated)

    def create(self, validated_data: dict[str, Any]) -> Enterprise:
        return services.enterprise_create(
            actor=self.context["request"].user, **self._service_data(validated_data)
        )

    def update(self, instance: Enterprise, validated_data: dict[str, Any]) -> Enterprise:
        return services.enterprise_update(
            actor=self.context["request"].user, enterprise=instance, **self._service_data(validated_data)
        )


class GreenFactorySerializer(serializers.ModelSerializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    district = serializers.CharField(source="enterprise.district_id", read_only=True)
    industry = serializers.CharField(source="enterprise.industry_id", read_only=True)

    class Meta:
        model = GreenFactory
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "district",
            "industry",
            "tier",
            "recognized_year",
            "recognized_on",
            "status",
            "revoked_on",
            "revoke_reason",
            "ban_until",
        ]
        read_only_fields = ["id", "status", "revoked_on", "revoke_reason", "ban_until"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user)  # type: ignore[attr-defined]
        return fields

    def create(self, validated_data: dict[str, Any]) -> GreenFactory:
        return services.green_factory_recognize(actor=self.context["request"].user, **validated_data)


class RevocationProposalSerializer(serializers.ModelSerializer):
    """A revocation proposal, from a grading run (`run`, `year`) or from the register (`source` "register",
    `run` null, with the proposer's `reason_text` and `revoked_on`)."""

    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    year = serializers.IntegerField(source="run.year", read_only=True, default=None, allow_null=True)
    # DRF's metaclass takes declared fields off the class, so this does not shadow Field.source at runtime.
    source = serializers.CharField(  # type: ignore[assignment]
        read_only=True, help_text="run（分级评价提出）或 register（名录直接提出）"
    )
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    proposed_by = serializers.CharField(
        source="proposed_by.username", read_only=True, default=None, allow_null=True
    )
    # null while the proposal awaits a second city user
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = RevocationProposal
        fields = [
            "id",
            "run",
            "year",
            "source",
            "source_display",
            "enterprise",
            "enterprise_name",
            "incident",
            "reason",
            "reason_text",
            "revoked_on",
            "status",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class RevokeSerializer(serializers.Serializer):
    """The register's revocation request: a reason and the revocation date (today when omitted)."""

    reason = serializers.CharField(max_length=1000, allow_blank=True)
    revoked_on = serializers.DateField(required=False)


# --- accounts (issue 14): the fields of API.md's `users` row, written through factories.services.user_* ---

STAFF_ID_HELP = "staff ID (工号) as the identity provider knows it; single sign-on finds the account by it"


class UserAccountSerializer(UserSerializer):
    """An account as its managers see it (read)."""

    district_name = serializers.CharField(
        source="district.name", read_only=True, default=None, allow_null=True
    )
    enterprise_name = serializers.CharField(
        source="enterprise.name", read_only=True, default=None, allow_null=True
    )

    class Meta(UserSerializer.Meta):
        fields = [
            *UserSerializer.Meta.fields,
            "phone",
            "staff_id",
            "district_name",
            "enterprise_name",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields


class _ScopedEnterpriseMixin:
    """The enterprise of an account is chosen among the caller's enterprises (another unit's: 400)."""

    context: dict[str, Any]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()  # type: ignore[misc]
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user)
        return fields  # type: ignore[no-any-return]


class UserCreateSerializer(_ScopedEnterpriseMixin, serializers.Serializer):
    """A new account: a district account names its unit (`district` code), an enterprise account its
    enterprise (`enterprise` id). The answer carries `temporary_password`, shown this once."""

    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)
    district = serializers.SlugRelatedField(
        slug_field="code", queryset=District.objects.all(), required=False, allow_null=True
    )
    enterprise = serializers.PrimaryKeyRelatedField(
        queryset=Enterprise.objects.none(), required=False, allow_null=True
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    staff_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text=STAFF_ID_HELP,
    )


class UserCreatedSerializer(UserAccountSerializer):
    temporary_password = serializers.CharField(read_only=True, help_text="shown once; the user changes it")

    class Meta(UserAccountSerializer.Meta):
        fields = [*UserAccountSerializer.Meta.fields, "temporary_password"]
        read_only_fields = fields


class UserUpdateSerializer(_ScopedEnterpriseMixin, serializers.Serializer):
    """Changes to an account; `reason` is required when the role, the unit or the enterprise changes."""

    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    staff_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True, help_text=STAFF_ID_HELP
    )
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    district = serializers.SlugRelatedField(
        slug_field="code", queryset=District.objects.all(), required=False, allow_null=True
    )
    enterprise = serializers.PrimaryKeyRelatedField(
        queryset=Enterprise.objects.none(), required=False, allow_null=True
    )
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class AccountStepSerializer(serializers.Serializer):
    """The reason of an account step (deactivate, reactivate, reset the password); required."""

    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class TemporaryPasswordSerializer(serializers.Serializer):
    username = serializers.CharField()
    temporary_password = serializers.CharField(help_text="shown once; the user changes it")


class RegistrationSerializer(serializers.ModelSerializer):
    """A self-registration request (issue 14): what the applicant asked for and what the district decided.
    `enterprise` is the register entry it claims (or, once approved, the one it created); `merged_into` the
    pending request a duplicate was merged into."""

    district_name = serializers.CharField(source="district.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    legal_form_display = serializers.CharField(source="get_legal_form_display", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, default=None, allow_null=True
    )
    account = serializers.CharField(source="account.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = RegistrationRequest
        fields = [
            "id",
            "credit_code",
            "enterprise_name",
            "district",
            "district_name",
            "industry",
            "legal_form",
            "legal_form_display",
            "enterprise",
            "contact_name",
            "mobile",
            "email",
            "letter_name",
            "status",
            "status_display",
            "merged_into",
            "submitted_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "account",
        ]
        read_only_fields = fields


class RegistrationDecisionSerializer(serializers.Serializer):
    """The district's note on an approval (optional) or its reason for a rejection (required)."""

    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
