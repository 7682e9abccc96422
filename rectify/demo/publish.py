"""信息公开 in the demo: the city office makes the seed plan and all its problems public, and puts
its issued 月通报 and 工作简报 on the portal — each once, unless it already chose (a publishing
event on the plan or the document), so a reload never undoes an office's choice."""

from __future__ import annotations

from django.contrib.auth.models import User

from rectify.audit.models import AuditEvent
from rectify.documents.models import Briefing, Circular, DocStatus
from rectify.documents.publishing import document_publish
from rectify.plans.models import Plan
from rectify.plans.publishing import plan_publishing_save

ACTOR = "city_office"
CHOICES = {
    "plans.plan": ["plan.publishing_changed"],
    "documents.circular": ["circular.published", "circular.unpublished"],
    "documents.briefing": ["briefing.published", "briefing.unpublished"],
}


def _chosen(object_type: str, pk: int) -> bool:
    return AuditEvent.objects.filter(
        object_type=object_type, object_id=str(pk), action__in=CHOICES[object_type]
    ).exists()


def demo_publish(plan: Plan) -> int:
    """Publish `plan` with every problem, and the city office's issued documents, as the demo city
    office; returns how many things it published."""
    office = User.objects.filter(username=ACTOR).first()
    if office is None:
        return 0
    done = 0
    if not _chosen("plans.plan", plan.pk):
        plan.refresh_from_db()
        ids = list(plan.problems.values_list("pk", flat=True))
        plan_publishing_save(actor=office, plan=plan, plan_public=True, public_problem_ids=ids)
        done += 1
    city = office.memberships.values_list("unit_id", flat=True)
    unpublished = {"status": DocStatus.ISSUED, "published_on__isnull": True, "issuer__in": city}
    for circular in Circular.objects.filter(**unpublished).order_by("pk"):
        if not _chosen("documents.circular", circular.pk):
            document_publish(actor=office, doc=circular, public=True)
            done += 1
    for briefing in Briefing.objects.filter(**unpublished).order_by("pk"):
        if not _chosen("documents.briefing", briefing.pk):
            document_publish(actor=office, doc=briefing, public=True)
            done += 1
    return done
