"""抄送 on a supervision notice: chosen from the list and/or typed, stored, shown on the notice page,
printed in the 版记 of the .docx, kept when the draft is edited, and a bad list keeps what was typed."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import docx
import time_machine
from django.urls import reverse

from rectify.orgs.models import OrgUnit
from rectify.plans.models import Measure
from rectify.supervision.models import SupervisionNotice

FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)


def docx_text(content: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)


def test_copy_to_is_chosen_typed_stored_shown_and_printed(client_for: Any, users: Any) -> None:
    unit = OrgUnit.objects.get(name="朔城区政府")
    measure = Measure.objects.filter(assignments__unit=unit).first()
    assert measure is not None
    office = client_for("city_office")
    with time_machine.travel(FROZEN, tick=False):
        form = office.get(reverse("supervision:notice_new") + f"?kind=reminder&unit={unit.pk}").content.decode()
        assert 'name="copy_to"' in form and '<option value="市委办公室"' in form
        office.post(
            reverse("supervision:notice_new"),
            {
                "kind": "reminder",
                "unit": unit.pk,
                "measure": [measure.pk],
                "copy_to": ["市委办公室", "市政府办公室"],
                "copy_to_text": "市委督查室、各县（市、区）政府\n市委督查室",
            },
        )
        notice = SupervisionNotice.objects.get(unit=unit)
        assert notice.copy_to == ["市委办公室", "市政府办公室", "市委督查室", "各县（市、区）政府"]
        page = office.get(reverse("supervision:notice", args=[notice.pk])).content.decode()
        assert "抄送：市委办公室，市政府办公室，市委督查室，各县（市、区）政府。" in page
        assert "朔州市生态环境保护督察整改工作领导小组办公室" in page  # the issuer's full name
        assert "市委督查室，各县（市、区）政府</textarea>" in page  # the typed rest, to edit
        text = docx_text(office.get(reverse("documents:notice_docx", args=[notice.pk])).content)
        assert "抄送：市委办公室，市政府办公室，市委督查室，各县（市、区）政府。" in text

        edit = {
            "version": notice.version,
            "title": notice.title,
            "body": notice.body,
            "measure": [measure.pk],
            "copy_to": ["市委办公室"],
            "copy_to_text": "",
        }
        office.post(reverse("supervision:notice_action", args=[notice.pk, "edit"]), edit)
        notice.refresh_from_db()
        assert notice.copy_to == ["市委办公室"]

        too_many = "、".join(f"单位{i}" for i in range(25))
        edit = {**edit, "version": notice.version, "copy_to_text": too_many, "title": "改过的标题"}
        page = office.post(reverse("supervision:notice_action", args=[notice.pk, "edit"]), edit).content.decode()
        assert "抄送机关最多20个" in page and "改过的标题" in page and "单位24" in page
        notice.refresh_from_db()
        assert notice.copy_to == ["市委办公室"]
