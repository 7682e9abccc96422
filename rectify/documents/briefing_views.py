"""Pages of the 工作简报 beyond the draft itself: where the office's numbering stands (上一期为第N期),
the photos a briefing carries (served through the stored-file check), and 县区动态 稿件 — a county
office submits them and sees their state; the city office picks (in order) or declines them from
its draft's edit page. Thin: each view reads through a selector and writes through one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from rectify.audit.downloads import checked_file_response
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.files import uploaded_files
from rectify.core.http import business_view, errors_as_messages, int_or_zero, paginate, post_int

from . import briefing_county, briefing_photos, briefing_series, policies, selectors


@login_required
@require_POST
@business_view
def series_set(request: HttpRequest) -> HttpResponse:
    """上一期为第N期: the next issued this year is 第N+1期."""
    with errors_as_messages(request):
        year = post_int(request, "year")
        raw = request.POST.get("last_no", "").strip()
        if not (raw.isascii() and raw.isdigit()):
            raise DomainError("请填写上一期的期数（数字，如 28）。")
        last = briefing_series.briefing_series_set(actor=request.user, year=year, last_no=int(raw))
        messages.success(request, f"已设置：{year}年上一期为第{last}期，下一期印发时为第{last + 1}期。")
    return redirect("documents:briefings")


@login_required
@business_view
def briefing_photo(request: HttpRequest, briefing_id: int, key: str) -> HttpResponseBase:
    """A photo the briefing carries (or, for its editors, may carry), checked by its hash."""
    briefing = selectors.briefing_get(viewer=request.user, briefing_id=briefing_id)
    ref = briefing_photos.parse_key(key)
    if ref is None:
        raise NotFound()
    editor = briefing.status == "draft" and policies.can_edit(request.user, briefing)
    if not editor and key not in briefing_photos.referenced(briefing):
        raise NotFound()
    photo = briefing_photos.get(briefing, ref["source"], ref["id"])
    if photo is None:
        raise NotFound()
    return checked_file_response(
        request,
        obj=photo,
        storage_name=photo.storage_name,
        sha256=photo.sha256,
        filename=photo.original_name,
        content_type=photo.content_type,
        inline=True,
    )


# --- 县区动态 稿件 -------------------------------------------------------------------------------


@login_required
@business_view
def county_items(request: HttpRequest) -> HttpResponse:
    """A county office's 稿件: submit one, and see each one's state (待采用/已采用/未采用)."""
    items = briefing_county.own_items(viewer=request.user)  # Forbidden for anyone else
    typed = {"title": "", "body": ""}
    if request.method == "POST":
        typed = {"title": request.POST.get("title", ""), "body": request.POST.get("body", "")}
        try:
            files = uploaded_files(request.FILES, "photos", "照片")
            briefing_county.county_item_submit(
                actor=request.user, title=typed["title"], body=typed["body"], files=files
            )
        except (Forbidden, NotFound):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "稿件已报送市整改办，采用情况可在本页查看。")
            return redirect("documents:county_items")
    context = {
        "page": paginate(request, items),
        "form": typed,
        "office": briefing_county.county_office(request.user),
    }
    return render(request, "documents/briefing_county_items.html", context)


@login_required
@business_view
def county_item_photo(request: HttpRequest, item_id: int, photo_id: int) -> HttpResponseBase:
    item = briefing_county.item_get(viewer=request.user, pk=item_id)
    photo = item.photos.filter(pk=photo_id).first()
    if photo is None:
        raise NotFound()
    return checked_file_response(
        request,
        obj=photo,
        storage_name=photo.storage_name,
        sha256=photo.sha256,
        filename=photo.original_name,
        content_type=photo.content_type,
        inline=photo.is_image,
    )


@login_required
@require_POST
@business_view
def county_pick(request: HttpRequest, briefing_id: int) -> HttpResponse:
    """Pick the ticked 稿件 into ◆ 县区动态, in the order given by their 顺序 numbers."""
    briefing = selectors.briefing_get(viewer=request.user, briefing_id=briefing_id)
    ticked = [int_or_zero(v) for v in request.POST.getlist("item")]
    ordered = sorted(ticked, key=lambda pk: (int_or_zero(request.POST.get(f"order-{pk}")) or 999, ticked.index(pk)))
    with errors_as_messages(request):
        briefing_county.county_items_pick(
            actor=request.user, briefing=briefing, version=post_int(request, "version"), item_ids=ordered
        )
        messages.success(request, f"已采用{len(ordered)}篇稿件，列在“县区动态”栏目末尾，可在编辑区调整顺序。")
    return redirect("documents:briefing", briefing_id=briefing.pk)


@login_required
@require_POST
@business_view
def county_decline(request: HttpRequest, briefing_id: int, item_id: int) -> HttpResponse:
    briefing = selectors.briefing_get(viewer=request.user, briefing_id=briefing_id)
    item = briefing_county.item_get(viewer=request.user, pk=item_id)
    with errors_as_messages(request):
        briefing_county.county_item_decline(
            actor=request.user, briefing=briefing, item=item, note=request.POST.get("note", "")
        )
        messages.success(request, f"已将《{item.title}》标为未采用。")
    return redirect("documents:briefing", briefing_id=briefing.pk)


urlpatterns = [
    path("briefings/series/", series_set, name="briefing_series"),
    path("briefings/<int:briefing_id>/photos/<str:key>/", briefing_photo, name="briefing_photo"),
    path("briefings/<int:briefing_id>/county-items/pick/", county_pick, name="briefing_county_pick"),
    path(
        "briefings/<int:briefing_id>/county-items/<int:item_id>/decline/",
        county_decline,
        name="briefing_county_decline",
    ),
    path("briefings/county-items/", county_items, name="county_items"),
    path("briefings/county-items/<int:item_id>/photos/<int:photo_id>/", county_item_photo, name="county_item_photo"),
]
