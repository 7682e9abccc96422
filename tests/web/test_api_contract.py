"""Whatever a page does, the API does (issue 17): every page view that accepts POST is paired here
with the API operation(s) that do the same through the same service, or listed with the reason it
has none. A new page action without an entry fails this test: give it an API twin, or say why not.

A page view "accepts POST" when its view function (unwrapped) is decorated with require_POST or
reads request.POST / request.FILES / request.method, or its class has a post() method. An API
operation is named by its URL name in the "api" namespace and must take a write method."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# page view (URL name) → the API operation(s) that do the same
TWINS: dict[str, tuple[str, ...]] = {
    # 方案导入 (upload → review → commit)
    "ingestion:upload": ("api:plan_imports",),
    "ingestion:review_update": ("api:plan_import",),
    "ingestion:commit": ("api:plan_import_commit",),
    "ingestion:discard": ("api:plan_import_discard",),
    # 台账与编辑
    "plans:problem_deadline": ("api:problem_deadline",),
    "plans:assignment_confirm": ("api:assignment_confirm",),
    "plans:round_create": ("api:rounds",),
    "plans:round_edit": ("api:round",),
    "plans:round_plan_add": ("api:plan_round",),
    "plans:plan_round": ("api:plan_round",),
    "plans:problem_link": ("api:problem_links",),
    "plans:problem_unlink": ("api:problem_link",),
    "plans:publishing": ("api:plan_publishing",),
    "plans:problem_create": ("api:problems",),
    "plans:measure_create": ("api:measures",),
    "plans:measure_edit": ("api:measure",),
    "plans:problem_leader_add": ("api:problem_leaders",),
    "plans:problem_leader_remove": ("api:problem_leader",),
    # 单位目录
    "orgs:add": ("api:units",),
    "orgs:rename": ("api:unit_rename",),
    "orgs:merge": ("api:unit_merge",),
    # 各市对账 (the province's read-only mirror of its cities' exports)
    "mirror:upload": ("api:exchange_mirrors",),
    # 月通报、工作简报、县区动态、交账
    "documents:circular_generate": ("api:circulars",),
    "documents:circular": ("api:circular",),
    "documents:circular_refresh": ("api:circular_refresh",),
    "documents:circular_issue": ("api:circular_issue",),
    "documents:circular_cancel": ("api:circular_cancel",),
    "documents:circular_publish": ("api:circular_publishing",),
    "documents:circular_unpublish": ("api:circular_publishing",),
    "documents:briefing_new": ("api:briefings",),
    "documents:briefing": ("api:briefing",),
    "documents:briefing_issue": ("api:briefing_issue",),
    "documents:briefing_cancel": ("api:briefing_cancel",),
    "documents:briefing_publish": ("api:briefing_publishing",),
    "documents:briefing_unpublish": ("api:briefing_publishing",),
    "documents:briefing_series": ("api:briefing_series",),
    "documents:briefing_county_pick": ("api:briefing_county_pick",),
    "documents:briefing_county_decline": ("api:briefing_county_decline",),
    "documents:county_items": ("api:county_items",),
    "documents:handover_schedule": ("api:handover_schedule",),
    "documents:handover_make": ("api:handover_packages",),
    # 审计
    "audit:verify": ("api:audit_verifications",),
    # 报送
    "progress:unit_period": ("api:unit_period_reports",),
    "progress:share_card": ("api:unit_period_reports", "api:report", "api:report_submit", "api:report_evidence"),
    "progress:report_edit": ("api:report",),
    "progress:report_review": ("api:report_accept", "api:report_return"),
    "progress:evidence_upload": ("api:report_evidence",),
    "progress:evidence_remove": ("api:evidence_remove",),
    "progress:calendar": ("api:reporting_calendar",),
    # 预警与督办
    "supervision:scan": ("api:warning_scan",),
    "supervision:measure_deadline": ("api:measure_deadline",),
    "supervision:notice_new": ("api:notices",),
    "supervision:proposal_confirm": ("api:notice_proposal_confirm",),
    "supervision:notice": ("api:notice", "api:notice_reply"),
    "supervision:notice_action": (
        "api:notice_issue",
        "api:notice_return",
        "api:notice_close",
        "api:notice_cancel",
        "api:notice_escalate",
    ),
    "supervision:extension_new": ("api:extensions",),
    "supervision:extension_decide": ("api:extension_decide",),
    "supervision:visit_new": ("api:visits", "api:visit_photos"),
    "supervision:visit_task_done": ("api:visit_task_done",),
    "supervision:flag_set": ("api:flags",),
    "supervision:flag_lift": ("api:flag_lift",),
    # 验收销号
    "closeout:apply": ("api:closeouts",),
    "closeout:application": ("api:closeout_decide", "api:closeout_consent"),
    "closeout:action": (
        "api:closeout_decide",
        "api:closeout_consent",
        "api:closeout_resubmit",
        "api:closeout_object",
        "api:closeout_reopen",
        "api:closeout_withdraw",
    ),
    # 交办件
    "complaints:import": ("api:complaint_imports",),
    "complaints:import_review": ("api:complaint_import_commit", "api:complaint_import_discard"),
    "complaints:batch_action": (
        "api:complaint_batch_attach",
        "api:complaint_batch_publish",
        "api:complaint_batch_cases",
    ),
    "complaints:case": ("api:complaint",),
    "complaints:case_action": ("api:complaint_assign", "api:complaint_revisit", "api:complaint_notice"),
    # 指标、通知
    "indicators:problem": ("api:indicators", "api:indicator_value"),
    "notifications:read_all": ("api:notifications_read_all",),
}

# page views with no API twin, and why
NO_TWIN: dict[str, str] = {
    "accounts:login": "starts a browser session (password, lockout, second factor); the API takes a token",
    "accounts:password_change": "a person changes their own password in a session that typed the current one",
    "accounts:logout": "ends a browser session; an API client holds a token, which it revokes instead",
    "accounts:otp_setup": "binds an authenticator app by its QR code in a logged-in browser session",
    "accounts:otp_verify": "the second factor of a browser login; API tokens are issued after it",
    "accounts:token_create": (
        "a token is issued only in a session that passed the password and the second factor: a token "
        "that could mint tokens would outlive the login that made it"
    ),
    "accounts:token_revoke": "the owner revokes a token in the session that made it (issue 15's 账号 page)",
    # 系统管理员: accounts and roles. Tokens skip the second factor (docs/security.md), so what an
    # administrator does to other people's accounts stays behind a 2FA session.
    "accounts:manage_user_new": "account administration needs the administrator's 2FA session",
    "accounts:manage_user": "account administration needs the administrator's 2FA session",
    "accounts:manage_membership_add": "account administration needs the administrator's 2FA session",
    "accounts:manage_membership_remove": "account administration needs the administrator's 2FA session",
    "accounts:manage_reset_password": "account administration needs the administrator's 2FA session",
    "accounts:manage_reset_otp": "account administration needs the administrator's 2FA session",
    "accounts:manage_unlock": "account administration needs the administrator's 2FA session",
    "accounts:manage_revoke_tokens": "account administration needs the administrator's 2FA session",
}

WRITE_METHODS = ("post", "put", "patch", "delete")


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name, pattern.callback


def _accepts_post(callback: Any) -> bool:
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post")
    try:
        source = inspect.getsource(inspect.unwrap(callback))
    except (OSError, TypeError):
        return False
    return any(mark in source for mark in ("require_POST", "request.POST", "request.FILES", 'request.method == "POST"'))


def page_post_views() -> set[str]:
    skip = ("api/", "sysadmin/", "static/", "media/", "public/")
    return {
        name
        for route, name, callback in _walk(get_resolver().url_patterns)
        if not route.startswith(skip) and _accepts_post(callback)
    }


def api_write_operations() -> dict[str, tuple[str, ...]]:
    out = {}
    for route, name, callback in _walk(get_resolver().url_patterns):
        view_class = getattr(callback, "view_class", None)
        if route.startswith("api/") and view_class is not None:
            out[name] = tuple(m for m in WRITE_METHODS if hasattr(view_class, m))
    return out


def test_every_page_action_has_an_api_twin_or_a_reason() -> None:
    missing = sorted(page_post_views() - set(TWINS) - set(NO_TWIN))
    assert missing == [], (
        "page views that accept POST without an API operation mapped in tests/web/test_api_contract.py "
        f"(add the API twin, or list it in NO_TWIN with the reason): {missing}"
    )


def test_the_table_names_only_page_actions_that_exist() -> None:
    stale = sorted((set(TWINS) | set(NO_TWIN)) - page_post_views())
    assert stale == [], f"entries for page views that no longer take POST: {stale}"
    assert not set(TWINS) & set(NO_TWIN)
    assert all(reason.strip() for reason in NO_TWIN.values())


def test_every_twin_is_an_api_operation_that_writes() -> None:
    operations = api_write_operations()
    wrong = [
        f"{page} → {api}: {'no such API operation' if api not in operations else 'takes no write method'}"
        for page, twins in TWINS.items()
        for api in twins
        if not operations.get(api)
    ]
    assert wrong == []


def test_the_heuristic_sees_known_page_actions() -> None:
    # a guard on the guard: views known to take POST are found (require_POST, request.POST, FILES)
    seen = page_post_views()
    assert {"ingestion:upload", "ingestion:commit", "orgs:merge", "progress:calendar"} <= seen
    assert "plans:ledger" not in seen
