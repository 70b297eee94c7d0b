"""Evidence (佐证材料) pages: attach a file to a figure of a draft, take it off, and download it (issue 15).

The upload and the removal are posted from the data-entry form and the detail page and come back to the
page they were posted from; the download answers only through the submission's scope (404 outside it)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts import files
from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.views_base import ScopedObjectMixin, show_domain_error
from reporting import services
from reporting.models import AnnualSubmission, SubmissionEvidence

ANCHOR_PUNCTUATION = str.maketrans("", "", "-_.")
"""Besides letters and digits, what a figure's key may hold and still name its row (`major_change.site`)."""


class _EvidenceStep(ScopedObjectMixin, View):
    """A write on a submission's evidence: another unit's data answers 404 before a refused role hears 403."""

    right = "submission.edit"
    rights = {"post": "submission.edit"}
    check_after_lookup = True
    model = AnnualSubmission
    http_method_names = ["post"]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("enterprise")

    def back(self, submission: AnnualSubmission) -> HttpResponseRedirect:
        """The page the form was on (the data-entry form or the detail page), at the figure's row."""
        target = self.request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()}):
            target = reverse("reporting:submission_detail", args=[submission.pk])
        field = self.request.POST.get("field", "")
        return HttpResponseRedirect(
            target + (f"#evidence-{field}" if field.translate(ANCHOR_PUNCTUATION).isalnum() else "")
        )

    def run(self, request: HttpRequest, submission: AnnualSubmission, work: object) -> HttpResponse:
        try:
            work()  # type: ignore[operator]
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            show_domain_error(request, error)
        return self.back(submission)


class EvidenceUploadView(_EvidenceStep):
    """「上传佐证」: one file (PDF, OFD, JPG, PNG, XLSX, DOCX) with an optional note, for one figure."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        submission = self.get_object()

        def work() -> None:
            item = services.evidence_add(
                actor=request.user,
                submission=submission,
                field=request.POST.get("field", ""),
                upload=request.FILES.get("file"),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("已上传佐证材料：{name}").format(name=item.filename))

        return self.run(request, submission, work)


class EvidenceRemoveView(_EvidenceStep):
    """Take a file off the draft (its filer, while the data can be edited)."""

    def post(self, request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
        submission = self.get_object()
        item = files.owned_file(submission.evidence, evidence_id)

        def work() -> None:
            services.evidence_remove(actor=request.user, item=item)
            messages.success(request, _("已删除佐证材料：{name}").format(name=item.filename))

        return self.run(request, submission, work)


class EvidenceDownloadView(ScopedObjectMixin, View):
    """One evidence file as uploaded, for whoever may see the submission (another unit's answers 404)."""

    right = "submission.view"
    model = SubmissionEvidence
    pk_url_kwarg = "evidence_id"

    def get(self, request: HttpRequest, pk: int, evidence_id: int) -> HttpResponseBase:
        item = self.get_object(
            queryset=SubmissionEvidence.objects.visible_to(request.user).filter(submission_id=pk),
            pk=evidence_id,
        )
        return files.download(item.file, item.filename)


class FieldNoteView(_EvidenceStep):
    """A reviewer's revision note (修订备注) on one figure, posted from the detail page."""

    right = "submission.note"
    rights = {"post": "submission.note"}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        submission = self.get_object()

        def work() -> None:
            services.field_note_add(
                actor=request.user,
                submission=submission,
                field=request.POST.get("field", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("修订备注已保存，企业可在填报页面看到。"))

        return self.run(request, submission, work)
