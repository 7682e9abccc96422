"""API routes added for issue 17 (parity): the ledger exchange with the level above
(rectify.api.exchange_views, docs/exchange.md)."""

from django.urls import URLPattern, path

from . import exchange_views as xv

urlpatterns: list[URLPattern] = [
    path("exchange/ledger/", xv.ExchangeLedger.as_view(), name="exchange_ledger"),
    path("exchange/mirrors/", xv.MirrorList.as_view(), name="exchange_mirrors"),
    path("exchange/mirrors/<int:pk>/", xv.MirrorDetail.as_view(), name="exchange_mirror"),
    path("exchange/mirrors/<int:pk>/shares/", xv.MirrorShares.as_view(), name="exchange_mirror_shares"),
]
