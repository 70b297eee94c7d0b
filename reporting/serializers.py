"""Submission fields are explicit: status, enterprise and year can't be changed by mass assignment."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import exports
from accounts.errors import InvalidInput
from accounts.i18n import localized
from accounts.limits import MAX_INPUT_LENGTH, SHORT_TEXT
from accounts.models import Notification
from accounts.permissions import can
from factories.catalogues.bridge import FieldDef, ReportingCatalogue, from_data, reporting_catalogue
from factories.catalogues.shipped import shipped
from factories.indicators import DEFAULT_CATALOGUE_VERSION
from factories.models import FIRST_DATA_YEAR, Enterprise
from reporting import selectors, services
from reporting.models import (
    AnnualSubmission,
    CorrectionRequest,
    ExportJob,
    ImportJob,
    ReportingYear,
    SubmissionEvidence,
    SubmissionFieldNote,
    SubmissionStatus,
)

# The raw fields of every shipped catalogue version (GBT36132-2018, then the new ones of GBT36132-2025), for
# the API schema; a submission reads and writes the fields of its own catalogue (SubmissionSerializer).
SHIPPED_FIELDS: dict[str, FieldDef] = {}
for _catalogue in (from_data(data) for data in shipped()):
    for _field in _catalogue.raw_fields:
        SHIPPED_FIELDS.setdefault(_field.name, _field)
RAW_FIELD_NAMES = list(SHIPPED_FIELDS)


# `lazy()` builds a proxy class on each call: made once, as every serializer instance copies its raw fields.
_lazy_localized = lazy(localized, str)


def _raw_field_kwargs(field: FieldDef, kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    kwargs.setdefault("label", f"{field.label_zh}（{field.unit}）" if field.unit else field.label_zh)
    kwargs.setdefault("help_text", _lazy_localized(field.help_zh, field.help_en))
    return kwargs


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "nullable": True,
        "maxLength": MAX_INPUT_LENGTH,
        "example": "12000.5",
    }
)
class RawValueField(serializers.Field):
    """A raw input as a decimal string (a count: a whole number); null = not reported. Parsing and
    messages live in the service."""

    _kwargs: dict[str, Any]  # what the field was built with (DRF's Field.__new__ keeps it for copies)

    def __init__(self, name: str, field: FieldDef | None = None, **kwargs: Any) -> None:
        self.raw_name = name
        self.raw = field or SHIPPED_FIELDS[name]
        super().__init__(**_raw_field_kwargs(self.raw, kwargs))

    def __deepcopy__(self, memo: dict[int, Any]) -> RawValueField:
        # Every serializer instance copies its declared fields; the field definition is frozen, so it is
        # shared rather than copied attribute by attribute (DRF's copy would rebuild it for each field).
        return self.__class__(self.raw_name, self.raw, **copy.deepcopy(self._kwargs, memo))

    def get_attribute(self, instance: AnnualSubmission) -> Any:
        return instance.raw_values.get(self.raw_name)

    def to_representation(self, value: Any) -> Any:
        return None if value is None else str(value)

    def to_internal_value(self, data: Any) -> Any:
        # JSON numbers stay numbers: the service's number reader takes them as they are, while text is
        # held to the forms a clerk writes (no exponent, no ambiguous comma).
        if isinstance(data, bool) or (data is not None and not isinstance(data, str | int | float | Decimal)):
            raise serializers.ValidationError(
                _("{label}应为数字或数字字符串。").format(label=self.raw.label_zh)
                if self.raw.kind != "decimal"
                else _("应为数字或数字字符串。")
            )
        if isinstance(data, str) and len(data) > MAX_INPUT_LENGTH:
            raise serializers.ValidationError(_("数字不能超过{n}个字符。").format(n=MAX_INPUT_LENGTH))
        return data


@extend_schema_field({"type": "boolean", "nullable": True, "example": True})
class YesNoValueField(RawValueField):
    """A yes-no answer: true / false (也可为 "是" / "否"); null = not reported."""

    def to_representation(self, value: Any) -> Any:
        return None if value is None else str(value) == "1"

    def to_internal_value(self, data: Any) -> Any:
        if data is not None and not isinstance(data, bool | str | int):
            raise serializers.ValidationError(_("应为 true 或 false（是或否）。"))
        if isinstance(data, str) and len(data) > MAX_INPUT_LENGTH:
            raise serializers.ValidationError(_("应为 true 或 false（是或否）。"))
        return data


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "maxLength": 100},
        "nullable": True,
        "example": ["能耗查询", "碳排放核算"],
    }
)
class ChoiceSetValueField(RawValueField):
    """A choice set: the list of the chosen item names exactly as the catalogue writes them ([] = none
    chosen, null = not reported)."""

    def to_representation(self, value: Any) -> Any:
        return None if value is None else list(value)

    def to_internal_value(self, data: Any) -> Any:
        if data is not None and (
            not isinstance(data, list)
            or len(data) > 200
            or not all(isinstance(item, str) and len(item) <= 100 for item in data)
        ):
            raise serializers.ValidationError(
                _(
                    '{label}应为所选项目名称的列表，如 ["{item}"]；一项都没有时为 []，未填报时为 null。'
                ).format(label=self.raw.label_zh, item=self.raw.choices[0] if self.raw.choices else "…")
            )
        return data


def raw_value_field(field: FieldDef) -> RawValueField:
    """The API field of a raw field of the catalogue, by its kind."""
    kind = {"choice_set": ChoiceSetValueField, "yes_no": YesNoValueField}.get(field.kind, RawValueField)
    return kind(field.name, field)


class ReportingYearSerializer(serializers.ModelSerializer):
    window_state = serializers.SerializerMethodField()
    catalogue = serializers.CharField(
        source="catalogue_version",
        required=False,
        max_length=32,
        help_text="指标目录代码，如 GBT36132-2025；省略时，2026年及以后的年度为 GBT36132-2025（须已采用），其余为 GBT36132-2018。开放后不能更换。",
    )
    sector_catalogues = serializers.ListField(
        source="sector_catalogue_codes",
        child=serializers.CharField(max_length=32),
        required=False,
        max_length=60,
        help_text="行业变体目录的代码（已采用、指定了适用行业）。",
    )
    catalogue_version = serializers.CharField(read_only=True)

    class Meta:
        model = ReportingYear
        fields = [
            "year",
            "opens_on",
            "closes_on",
            "catalogue",
            "sector_catalogues",
            "catalogue_version",
            "window_state",
        ]
        read_only_fields = ["window_state"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_window_state(self, obj: ReportingYear) -> str:
        return obj.window_state(services.today())

    def create(self, validated_data: dict[str, Any]) -> ReportingYear:
        return services.reporting_year_open(
            actor=self.context["request"].user,
            catalogue=validated_data.pop("catalogue_version", None),
            sector_catalogues=validated_data.pop("sector_catalogue_codes", None),
            **validated_data,
        )

    def update(self, instance: ReportingYear, validated_data: dict[str, Any]) -> ReportingYear:
        validated_data.pop("year", None)
        catalogue = validated_data.pop("catalogue_version", instance.catalogue_version)
        variants = validated_data.pop("sector_catalogue_codes", None)
        current = instance.sector_catalogue_codes
        if catalogue != instance.catalogue_version or (variants is not None and sorted(variants) != current):
            raise InvalidInput(field_errors={"catalogue": [_("年度开放后不能更换指标目录或行业变体目录。")]})
        return services.reporting_year_update(
            actor=self.context["request"].user,
            reporting_year=instance,
            opens_on=validated_data.get("opens_on", instance.opens_on),
            closes_on=validated_data.get("closes_on", instance.closes_on),
        )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", label="原因/意见", max_length=SHORT_TEXT
    )


class EvidenceSerializer(serializers.ModelSerializer):
    """A document backing one figure; `download_url` is the permission-checked download, never a media path."""

    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    correction = serializers.IntegerField(source="correction_id", read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = SubmissionEvidence
        fields = [
            "id",
            "field",
            "correction",
            "filename",
            "size",
            "sha256",
            "note",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj: SubmissionEvidence) -> str:
        return (
            self._download_template()
            .replace(_SUBMISSION_SLOT, str(obj.submission_id))
            .replace(_EVIDENCE_SLOT, str(obj.pk))
        )

    def _download_template(self) -> str:
        """The download URL with slots for the two ids, reversed and made absolute once per serializer (a list
        of a page's evidence would otherwise resolve the URL map for every file)."""
        template: str | None = getattr(self, "_template", None)
        if template is None:
            url = reverse(
                "api:submission-evidence-download",
                kwargs={"pk": _SUBMISSION_SLOT, "evidence_id": _EVIDENCE_SLOT},
            )
            request = self.context.get("request")
            template = self._template = request.build_absolute_uri(url) if request is not None else url
        return template


_SUBMISSION_SLOT = "__submission__"
_EVIDENCE_SLOT = "__evidence__"


class FieldNoteSerializer(serializers.ModelSerializer):
    """A reviewer's revision note (修订备注) on one figure (`field`: raw field name or indicator code)."""

    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = SubmissionFieldNote
        fields = ["field", "note", "status", "author", "created_at"]
        read_only_fields = fields


class EvidenceUploadSerializer(serializers.Serializer):
    """Multipart: what the file backs (`field`: a raw field name, an indicator code, or a declaration the
    draft makes: `major_change.<kind>` for a declared change, `compliance.permit` for the declared permit),
    the `file`, an optional `note`. The file's checks are the service's, so the API and the form refuse
    alike."""

    field = serializers.CharField(
        max_length=64,
        label="数据项或指标",
        help_text="raw field name, indicator code, major_change.<name|business_scope|site|boundary> "
        "(a declared change) or compliance.permit (a declared permit or registration)",
    )
    file = serializers.FileField(label="文件", allow_empty_file=True)
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=SHORT_TEXT, label="说明"
    )


class ReturnSerializer(ReasonSerializer):
    evidence_requested = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        max_length=200,
        help_text="raw field names, indicator codes or declared major_change.<kind> / compliance.permit "
        "whose evidence must be uploaded before the data is sent again",
    )


class DismissalSerializer(serializers.Serializer):
    by = serializers.CharField()
    at = serializers.DateTimeField()
    reason = serializers.CharField()


class AnomalyFlagSerializer(serializers.Serializer):
    """One anomaly flag (reporting.anomalies) as a reviewer reads it."""

    kind = serializers.ChoiceField(
        choices=["peer_outlier", "yoy_jump", "unchanged", "copied", "inconsistent"]
    )
    kind_display = serializers.CharField()
    field_or_indicator = serializers.CharField()
    subject = serializers.CharField(help_text="the field or indicator in words")
    message = serializers.CharField(help_text="the reason in words, with the figures")
    figures = serializers.DictField(help_text="the numbers that triggered the flag")
    dismissed = DismissalSerializer(allow_null=True)


class AnomalyDismissSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["peer_outlier", "yoy_jump", "unchanged", "copied", "inconsistent"]
    )
    field_or_indicator = serializers.CharField(max_length=64)
    reason = serializers.CharField(label="理由", max_length=SHORT_TEXT, allow_blank=True)


class StatusLabelField(serializers.CharField):
    """A submission's status in words, as `get_status_display()` gives it, read from the choices directly
    (DRF inspects the signature of a method source on every row)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance: AnnualSubmission) -> Any:
        return STATUS_LABELS.get(instance.status, instance.status)


STATUS_LABELS = dict(SubmissionStatus.choices)


class SubmissionListSerializer(serializers.ListSerializer):
    """A page of submissions: what each row would look up alone (which submissions named by copied flags the
    reader sees) is looked up once for the page."""

    def to_representation(self, data: Any) -> list[Any]:
        rows = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        child = self.child
        assert isinstance(child, _SubmissionSerializer)
        child.visible_copied_from = (
            selectors.visible_copied_from(user, rows) if can(user, "anomaly.view") else set()
        )
        return [child.to_representation(row) for row in rows]


class _SubmissionSerializer(serializers.ModelSerializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    district = serializers.CharField(source="district_id", read_only=True)
    status_display = StatusLabelField()
    evidence = serializers.SerializerMethodField()
    field_notes = serializers.SerializerMethodField()
    anomaly_flags = serializers.SerializerMethodField(
        help_text="reviewers (district, city, auditor) only: the field is absent for an enterprise"
    )

    visible_copied_from: set[int] | None = None
    """Set by `SubmissionListSerializer` for a page; None for one submission."""

    class Meta:
        model = AnnualSubmission
        list_serializer_class = SubmissionListSerializer
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "year",
            "district",
            "status",
            "status_display",
            "late",
            "version",
            "catalogue_version",
            *RAW_FIELD_NAMES,
            "explanation",
            "major_changes",
            "compliance",
            "yoy_flags",
            "anomaly_flags",
            "return_reason",
            "evidence_requested",
            "evidence",
            "field_notes",
            "submitted_at",
            "approved_at",
            "verified_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "late",
            "version",
            "catalogue_version",
            "yoy_flags",
            "return_reason",
            "evidence_requested",
            "submitted_at",
            "approved_at",
            "verified_at",
            "created_at",
            "updated_at",
        ]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user)  # type: ignore[attr-defined]
        if self.instance is not None:
            fields["enterprise"].read_only = True
            fields["year"].read_only = True
        if request is not None and not can(getattr(request, "user", None), "anomaly.view"):
            # An enterprise never learns that its data were flagged, nor against whom.
            fields.pop("anomaly_flags")
        code = self._catalogue_code()
        if code is not None:
            # One submission (read, update) or a new one: exactly the raw fields of its catalogue.
            catalogue = reporting_catalogue(code)
            own = {f.name for f in catalogue.raw_fields}
            for name in RAW_FIELD_NAMES:
                if name not in own:
                    fields.pop(name, None)
            for raw_field in catalogue.raw_fields:
                fields[raw_field.name] = raw_value_field(raw_field)
        return fields

    def _catalogue_code(self) -> str | None:
        """The catalogue of the submission read or written: its own, or for a new one the year's (the
        default catalogue when the year is not open: the service refuses that anyway); None for a list."""
        if isinstance(self.instance, AnnualSubmission):
            return self.instance.catalogue_version
        if self.instance is None and isinstance(getattr(self, "initial_data", None), dict):
            # Asked for the fields and again for the input: the year and enterprise are read once.
            if "_new_catalogue" not in self.__dict__:
                self._new_catalogue = self._new_submission_catalogue()
            return self._new_catalogue
        return None

    def _new_submission_catalogue(self) -> str:
        """The catalogue a new submission of the posted year and enterprise is filed under."""
        year = self.initial_data.get("year")
        reporting_year = (
            ReportingYear.objects.filter(year=year).first()
            if isinstance(year, int) or (isinstance(year, str) and year.isdigit() and len(year) <= 4)
            else None
        )
        if reporting_year is None:
            return DEFAULT_CATALOGUE_VERSION
        enterprise = self.initial_data.get("enterprise")
        division = (
            Enterprise.objects.filter(pk=enterprise).values_list("industry_id", flat=True).first()
            if isinstance(enterprise, int)
            or (isinstance(enterprise, str) and enterprise.isdigit() and len(enterprise) <= 18)
            else None
        )
        return reporting_year.catalogue_for(division)

    def to_representation(self, instance: AnnualSubmission) -> Any:
        data = super().to_representation(instance)
        if self._catalogue_code() is not None:
            return data
        # In a list, each submission shows the raw fields of its own catalogue.
        catalogue, strangers = self._list_catalogue(instance.catalogue_version)
        for name in strangers:
            data.pop(name, None)
        for raw_field in catalogue.raw_fields:
            if raw_field.name not in data:
                data[raw_field.name] = raw_value_field(raw_field).to_representation(
                    instance.raw_values.get(raw_field.name)
                )
        return data

    def _list_catalogue(self, code: str) -> tuple[ReportingCatalogue, list[str]]:
        """A catalogue and the shipped raw fields it lacks, once per catalogue for a list (a page holds one
        or two catalogues)."""
        known: dict[str, tuple[ReportingCatalogue, list[str]]] = self.__dict__.setdefault("_catalogues", {})
        if code not in known:
            catalogue = reporting_catalogue(code)
            own = {f.name for f in catalogue.raw_fields}
            known[code] = (catalogue, [name for name in RAW_FIELD_NAMES if name not in own])
        return known[code]

    def to_internal_value(self, data: Any) -> Any:
        code = self._catalogue_code()
        if code is not None and isinstance(data, dict):
            own = {f.name for f in reporting_catalogue(code).raw_fields}
            strangers = [name for name in data if name in RAW_FIELD_NAMES and name not in own]
            if strangers:
                # A figure of another catalogue is never silently dropped.
                raise serializers.ValidationError(
                    {
                        name: [
                            _("指标目录{code}没有数据项“{name}”，本年度数据按该目录填报。").format(
                                code=code, name=name
                            )
                        ]
                        for name in strangers
                    }
                )
        return super().to_internal_value(data)

    @extend_schema_field(AnomalyFlagSerializer(many=True))
    def get_anomaly_flags(self, submission: AnnualSubmission) -> list[dict[str, Any]] | None:
        request = self.context.get("request")
        return selectors.anomaly_flags(
            getattr(request, "user", None), submission, visible=self.visible_copied_from
        )

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, submission: AnnualSubmission) -> list[dict[str, Any]]:
        """The submission's evidence files (a list, never null)."""
        items = getattr(submission, PREFETCHED_EVIDENCE, None)
        child = self._child("_evidence", EvidenceSerializer)
        return [child.to_representation(e) for e in (submission.evidence.all() if items is None else items)]

    @extend_schema_field(FieldNoteSerializer(many=True))
    def get_field_notes(self, submission: AnnualSubmission) -> list[dict[str, Any]]:
        """Reviewers' revision notes (修订备注), oldest first (a list, never null)."""
        items = getattr(submission, PREFETCHED_NOTES, None)
        child = self._child("_notes", FieldNoteSerializer)
        return [
            child.to_representation(n) for n in (submission.field_notes.all() if items is None else items)
        ]

    def _child(self, name: str, kind: type[serializers.Serializer]) -> serializers.Serializer:
        """One nested serializer for every row of a list, rather than a new one (with its fields) per row."""
        child: serializers.Serializer | None = self.__dict__.get(name)
        if child is None:
            child = self.__dict__[name] = kind(context=self.context)
        return child

    def _values(self, validated: dict[str, Any]) -> dict[str, Any]:
        return {
            name: validated[name]
            for name, field in self.fields.items()
            if isinstance(field, RawValueField) and name in validated
        }

    def create(self, validated_data: dict[str, Any]) -> AnnualSubmission:
        return services.submission_save_draft(
            actor=self.context["request"].user,
            enterprise=validated_data["enterprise"],
            year=validated_data["year"],
            values=self._values(validated_data),
            explanation=validated_data.get("explanation"),
            major_changes=validated_data.get("major_changes"),
            compliance=validated_data.get("compliance"),
        )

    def update(self, instance: AnnualSubmission, validated_data: dict[str, Any]) -> AnnualSubmission:
        return services.submission_save_draft(
            actor=self.context["request"].user,
            enterprise=instance.enterprise,
            year=instance.year,
            values=self._values(validated_data),
            explanation=validated_data.get("explanation"),
            major_changes=validated_data.get("major_changes"),
            compliance=validated_data.get("compliance"),
        )


PREFETCHED_EVIDENCE = "prefetched_evidence"
PREFETCHED_NOTES = "prefetched_field_notes"


def submission_prefetches() -> list[Prefetch]:
    """What the submission serializer shows of each row's evidence and notes, for `prefetch_related`: the
    columns it prints, as plain lists (`to_attr`: no queryset is built per row)."""
    return [
        Prefetch(
            "evidence",
            queryset=SubmissionEvidence.objects.select_related("uploaded_by")
            .only(
                "id",
                "submission_id",
                "field",
                "correction_id",
                "filename",
                "size",
                "sha256",
                "note",
                "uploaded_at",
                "uploaded_by__username",
            )
            # The models' default order starts with the submission's own (year, enterprise name): within one
            # submission it is just this, without joining both tables to sort.
            .order_by("field", "id"),
            to_attr=PREFETCHED_EVIDENCE,
        ),
        Prefetch(
            "field_notes",
            queryset=SubmissionFieldNote.objects.select_related("author")
            .only("submission_id", "field", "note", "status", "created_at", "author__username")
            .order_by("created_at", "id"),
            to_attr=PREFETCHED_NOTES,
        ),
    ]


# The raw inputs are declared from the catalogue, one field per name, so the API and its schema
# list them by the names of DOMAIN.md §4.
SubmissionSerializer = type(
    "SubmissionSerializer",
    (_SubmissionSerializer,),
    {"__module__": __name__, **{name: raw_value_field(SHIPPED_FIELDS[name]) for name in RAW_FIELD_NAMES}},
)


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    dimension = serializers.CharField()
    dimension_name = serializers.CharField()
    direction = serializers.ChoiceField(choices=["up", "down"])
    evidence_required = serializers.BooleanField()
    same_as = serializers.CharField(allow_blank=True, help_text="延续的早先目录指标，如 GBT36132-2018/EL-01")
    value = serializers.CharField(allow_null=True)
    unit = serializers.CharField(allow_blank=True)
    unit_en = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=["ok", "not_applicable", "not_reported"])


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "maxLength": MAX_INPUT_LENGTH},
            {"type": "boolean"},
            {"type": "array", "items": {"type": "string", "maxLength": 100}},
        ],
        "nullable": True,
    }
)
class CorrectionValueField(serializers.Field):
    """A requested value: a decimal string, true / false for a yes-no field, a list of item names for a
    choice set, null to clear; the service parses it against the submission's catalogue."""

    def to_representation(self, value: Any) -> Any:
        return value

    def to_internal_value(self, data: Any) -> Any:
        if data is None or isinstance(data, bool):
            return data
        if isinstance(data, str | int | float | Decimal) and len(str(data)) <= MAX_INPUT_LENGTH:
            return data if isinstance(data, str) else str(data)
        if (
            isinstance(data, list)
            and len(data) <= 200
            and all(isinstance(i, str) and len(i) <= 100 for i in data)
        ):
            return data
        raise serializers.ValidationError(_("应为数字、是/否（true/false）或所选项目名称的列表。"))


class CorrectionSerializer(serializers.ModelSerializer):
    submission = serializers.PrimaryKeyRelatedField(queryset=AnnualSubmission.objects.all())
    new_values = serializers.DictField(child=CorrectionValueField(allow_null=True))
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, default=None, allow_null=True
    )
    evidence = serializers.SerializerMethodField()
    evidence_files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        write_only=True,
        max_length=50,
        help_text="multipart: evidence files (PDF, OFD, JPG, PNG, XLSX, DOCX) backing the request; "
        "each new value then goes as new_values.<field>",
    )

    class Meta:
        model = CorrectionRequest
        fields = [
            "id",
            "submission",
            "reason",
            "new_values",
            "evidence",
            "evidence_files",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = [
            "id",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            fields["submission"].queryset = AnnualSubmission.objects.visible_to(request.user)  # type: ignore[attr-defined]
        return fields

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, correction: CorrectionRequest) -> list[dict[str, Any]]:
        """The files filed with the request (a list, never null)."""
        return EvidenceSerializer(correction.evidence.all(), many=True, context=self.context).data  # type: ignore[return-value]

    def create(self, validated_data: dict[str, Any]) -> CorrectionRequest:
        return services.correction_request(
            actor=self.context["request"].user,
            submission=validated_data["submission"],
            reason=validated_data.get("reason", ""),
            new_values=validated_data["new_values"],
            evidence_files=validated_data.get("evidence_files"),
        )


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]
        read_only_fields = fields


class ExportJobSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=[])
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text=(
            "only the filters the kind takes (others answer 400): year, district, industry, grade, tier, "
            "status, level, state, q, run (grades); the audit trail's: object_type, object_id, object, "
            "actor, unit, action, since, until (YYYY-MM-DD), demo"
        ),
    )
    progress = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "filters",
            "status",
            "progress",
            "done",
            "total",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = [
            "id",
            "status",
            "progress",
            "done",
            "total",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        kind = fields["kind"]
        assert isinstance(kind, serializers.ChoiceField)
        kind.choices = sorted(exports.REGISTRY)
        return fields

    def get_download_url(self, obj: ExportJob) -> str | None:
        if obj.status != "succeeded":
            return None
        return reverse("api:export-download", args=[obj.pk])


ERRORS_PREVIEW = 5
"""How many errors a job's summary (list, detail, upload answer) shows; the rest are at `errors_url`."""


class ImportErrorSerializer(serializers.Serializer):
    sheet = serializers.CharField()
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    """An import's summary: never its whole error list (`errors` holds the first few, `error_count` how many
    were found, `errors_url` pages through those kept)."""

    file = serializers.FileField(write_only=True, help_text="按模板填写的 .xlsx 文件")
    year = serializers.IntegerField(min_value=FIRST_DATA_YEAR, max_value=2100)
    download_url = serializers.SerializerMethodField()
    # The API's field `errors` (API.md); DRF's metaclass takes it out of the class, so Serializer.errors stays.
    errors = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="the first few errors (sheet, row, column, message)"
    )
    errors_omitted = serializers.SerializerMethodField(
        help_text="errors found beyond the IMPORT_MAX_ERRORS kept: counted, not listed"
    )
    errors_url = serializers.SerializerMethodField()
    progress = serializers.IntegerField(read_only=True, help_text="0–100 while the file is validated")
    rows_read = serializers.IntegerField(source="done", read_only=True)
    rows_estimated = serializers.IntegerField(source="total", read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "year",
            "file",
            "file_name",
            "file_size",
            "status",
            "progress",
            "rows_read",
            "rows_estimated",
            "row_count",
            "error_count",
            "errors",
            "errors_omitted",
            "errors_url",
            "error",
            "created_at",
            "finished_at",
            "committed_at",
            "download_url",
        ]
        read_only_fields = [
            "id",
            "file_name",
            "file_size",
            "status",
            "row_count",
            "error_count",
            "error",
            "created_at",
            "finished_at",
            "committed_at",
            "download_url",
        ]

    def get_download_url(self, obj: ImportJob) -> str | None:
        """The uploaded workbook, through the permission-checked download (null when none was kept)."""
        return reverse("api:import-download", args=[obj.pk]) if obj.file else None

    @extend_schema_field(ImportErrorSerializer(many=True))
    def get_errors(self, obj: ImportJob) -> list[dict[str, Any]]:
        head = getattr(obj, "errors_head", None)
        if head is not None:  # the list's annotation: the whole list was not read
            return [e for e in head if e]
        return list(obj.errors[:ERRORS_PREVIEW])

    def get_errors_omitted(self, obj: ImportJob) -> int:
        kept = getattr(obj, "errors_kept", None)
        return max(obj.error_count - (kept if kept is not None else len(obj.errors)), 0)

    def get_errors_url(self, obj: ImportJob) -> str:
        return reverse("api:import-errors", args=[obj.pk])


# --- bulk steps and chasing non-filers ------------------------------------------------------------------


class BulkIdsSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=200,
        help_text="年度数据编号，一次最多 200 个；不在您管辖范围内的编号报告为未找到（not_found），不会被处理",
    )


class RemindSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=FIRST_DATA_YEAR, max_value=9999)
    enterprises = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=200,
        help_text="企业编号，一次最多 200 个；不在您管辖范围内的编号报告为未找到（not_found）",
    )


class BulkOutcomeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["done", "refused", "not_found"])
    ok = serializers.BooleanField()
    name = serializers.CharField()
    message = serializers.CharField(help_text="未能处理的原因（中文，或按所选语言）")


class BulkResultSerializer(serializers.Serializer):
    results = BulkOutcomeSerializer(many=True)
    done = serializers.IntegerField()
    refused = serializers.IntegerField()
    not_found = serializers.IntegerField()


NON_FILER_STATE_LABELS = {
    "missing": _("未填报"),
    "draft": _("草稿未提交"),
    "returned": _("已退回，待重新提交"),
}


class NonFilerSerializer(serializers.ModelSerializer):
    """An enterprise without submitted data of the year, with its state and last reminder."""

    district_name = serializers.CharField(source="district.name", read_only=True)
    filing_state = serializers.CharField(read_only=True)
    filing_state_label = serializers.SerializerMethodField()
    submission = serializers.IntegerField(source="submission_id", read_only=True, allow_null=True)
    return_reason = serializers.CharField(read_only=True, allow_null=True)
    last_reminded_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_reminded_by = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "credit_code",
            "district",
            "district_name",
            "filing_state",
            "filing_state_label",
            "submission",
            "return_reason",
            "last_reminded_at",
            "last_reminded_by",
        ]
        read_only_fields = fields

    def get_filing_state_label(self, obj: Any) -> str:
        return str(NON_FILER_STATE_LABELS.get(obj.filing_state, ""))
