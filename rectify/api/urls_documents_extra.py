"""API routes added for issue 17 (parity): see the module docstring of the views they name.

Documents: 月通报/工作简报 drafts (refresh, cancel), 简报期数, photos a draft may carry, 县区动态
稿件, 交账 (documents_extra_views), and downloads rendered in the background: the ledger export
and a problem's 一案一档 (export_views)."""

from django.urls import URLPattern, path

from . import documents_extra_views as dx
from . import export_views as ex

urlpatterns: list[URLPattern] = [
    path("circulars/<int:pk>/refresh/", dx.CircularRefresh.as_view(), name="circular_refresh"),
    path("circulars/<int:pk>/cancel/", dx.CircularCancel.as_view(), name="circular_cancel"),
    path("briefings/series/", dx.BriefingSeries.as_view(), name="briefing_series"),
    path("briefings/<int:pk>/cancel/", dx.BriefingCancel.as_view(), name="briefing_cancel"),
    path("briefings/<int:pk>/photo-choices/", dx.BriefingPhotoChoices.as_view(), name="briefing_photo_choices"),
    path("briefings/<int:pk>/county-items/", dx.BriefingOfferedItems.as_view(), name="briefing_county_items"),
    path("briefings/<int:pk>/county-items/pick/", dx.BriefingCountyPick.as_view(), name="briefing_county_pick"),
    path(
        "briefings/<int:pk>/county-items/<int:item_id>/decline/",
        dx.BriefingCountyDecline.as_view(),
        name="briefing_county_decline",
    ),
    path("county-items/", dx.CountyItemList.as_view(), name="county_items"),
    path("county-items/<int:pk>/", dx.CountyItemDetail.as_view(), name="county_item"),
    path("county-items/<int:pk>/photos/<int:photo_id>/", dx.CountyItemPhotoFile.as_view(), name="county_item_photo"),
    path("handover/schedule/", dx.HandoverScheduleView.as_view(), name="handover_schedule"),
    path("handover/packages/", dx.HandoverPackages.as_view(), name="handover_packages"),
    path("handover/packages/job/", dx.HandoverJob.as_view(), name="handover_job"),
    path("handover/packages/<int:pk>/file/", dx.HandoverPackageFile.as_view(), name="handover_package_file"),
    path("exports/ledger/", ex.LedgerExport.as_view(), name="export_ledger"),
    path("problems/<int:pk>/dossier/", ex.ProblemDossier.as_view(), name="problem_dossier"),
    path("exports/<int:pk>/", ex.ExportStatus.as_view(), name="export"),
    path("exports/<int:pk>/retry/", ex.ExportRetry.as_view(), name="export_retry"),
    path("exports/<int:pk>/file/", ex.ExportFile.as_view(), name="export_file"),
]
