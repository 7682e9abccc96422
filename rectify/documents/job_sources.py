"""The documents app's background-rendered downloads (documents.jobs): 月通报, supervision notices
and 工作简报 as .docx/.pdf. Each source reads the object by its key, unscoped: the view checked
the viewer before it asked for the file, and the worker has no viewer."""

from __future__ import annotations

import json

from rectify.supervision.models import SupervisionNotice

from . import compose
from .jobs import Source, job_source, text_fingerprint
from .models import Briefing, Circular
from .notice_docs import notice_document, notice_filename
from .renderers import briefing as briefing_renderer
from .renderers import official
from .renderers.fonts import font_face_css

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
CIRCULAR = "rectify.documents.job_sources.circular_source"
NOTICE = "rectify.documents.job_sources.notice_source"
BRIEFING = "rectify.documents.job_sources.briefing_source"


def _official(doc: official.OfficialDocument, fmt: str, filename: str, fallback: str) -> Source:
    def render() -> bytes:
        return official.render_pdf(doc) if fmt == "pdf" else official.render_docx(doc)

    # pdf_fingerprint: everything printed (the laid-out HTML), the style sheets and the fonts.
    return Source(official.pdf_fingerprint(doc), filename, f"{fallback}.{fmt}", CONTENT_TYPES[fmt], render)


@job_source
def circular_source(pk: int, fmt: str) -> Source:
    circular = Circular.objects.select_related("issuer", "region").get(pk=pk)
    doc = compose.circular_document(circular)
    return _official(doc, fmt, compose.circular_filename(circular, fmt), f"circular-{pk}")


@job_source
def notice_source(pk: int, fmt: str) -> Source:
    notice = SupervisionNotice.objects.select_related("issuer", "unit").get(pk=pk)
    return _official(notice_document(notice), fmt, notice_filename(notice, fmt), f"notice-{pk}")


@job_source
def briefing_source(pk: int, fmt: str) -> Source:
    briefing = Briefing.objects.select_related("issuer", "region").get(pk=pk)

    def render() -> bytes:
        doc = compose.briefing_document(briefing)
        return briefing_renderer.render_pdf(doc) if fmt == "pdf" else briefing_renderer.render_docx(doc)

    # Every word printed, the photos it names (content-addressed) and the fonts, without reading
    # the photos themselves on every request.
    words = compose.briefing_document(briefing, photos=False)
    fingerprint = text_fingerprint(repr(words), json.dumps(briefing.sections, sort_keys=True), font_face_css())
    filename = compose.briefing_filename(briefing, fmt)
    return Source(fingerprint, filename, f"briefing-{pk}.{fmt}", CONTENT_TYPES[fmt], render)
