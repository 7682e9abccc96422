"""Complaint-case batches (交办件): loose headers, every spelling of a cell, every file form."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import pytest

from rectify.complaints import parsers
from rectify.complaints.parsers import (
    BatchError,
    ParsedBatch,
    canonical_types,
    normalize_code,
    parse_batch,
    parse_date,
    parse_status,
    parse_verdict,
    repair_text,
)
from rectify.complaints.synthetic import (
    HEADERS,
    batch_file,
    batch_title,
    generate_batch,
    generate_cases,
    repeat_pairs,
    write_csv,
    write_xlsx,
)

HEAD = ["序号", "交办编号", "交办时间", "行政区域", "污染类型", "举报内容", "是否属实", "办理状态"]


def _csv(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    return write_csv(rows[0], rows[1:], encoding)


def _parse(rows: list[list[Any]], **kwargs: Any) -> ParsedBatch:
    return parse_batch(_csv(rows), "交办件.csv", **kwargs)


def _case(code: str = "D1400001", **cells: str) -> list[str]:
    values = {
        "序号": "1",
        "交办编号": code,
        "交办时间": "2018-11-20",
        "行政区域": "朔城区",
        "污染类型": "大气",
        "举报内容": "某煤场扬尘污染严重。",
        "是否属实": "属实",
        "办理状态": "办结",
    }
    values.update(cells)
    return [values[h] for h in HEAD]


def _chinese(message: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in message)


# ---------------------------------------------------------------- headers


def test_header_variants_are_matched_loosely() -> None:
    header = [
        "序 号",
        "交办\n编号",
        "交办日期：",
        "县（市、区）",
        "污染\r\n种类",
        "群众举报内容(必填)",
        "核查情况",
        "是否 属实",
        "处理整改情况",
        "责任追究情况",
        "是否办结",
        "投诉人",
        "联系\n电话",
        "身份证号码",
        "家庭住址",
        "备注",
    ]
    row = ["1", "D1", "2018-11-20", "平鲁区", "水", "排污。", "经查属实。", "是", "已封堵。", "约谈1人", "是"]
    row += ["王小明", "13912345678", "140602199001011234", "平鲁区井坪镇", "已督办"]
    batch = _parse([header, row])
    assert set(batch.headers) == {
        "seq",
        "code",
        "assigned_on",
        "region",
        "types",
        "content",
        "investigation",
        "verdict",
        "handling",
        "accountability",
        "status",
        "name",
        "phone",
        "id_number",
        "address",
    }
    assert batch.headers["code"] == "交办 编号"
    case = batch.rows[0]
    assert (case.code, case.region, case.types, case.verdict, case.status) == (
        "D1",
        "平鲁区",
        ("水",),
        "substantiated",
        "closed",
    )
    assert case.personal == {
        "name": "王小明",
        "phone": "13912345678",
        "id_number": "140602199001011234",
        "address": "平鲁区井坪镇",
    }
    assert case.extra == {"备注": "已督办"}
    assert batch.warnings == []


def test_the_head_noun_decides_a_compound_header() -> None:
    header = ["受理编号", "信访内容", "举报人姓名", "举报人住址", "举报人联系电话", "问题属地"]
    batch = _parse([header, ["D1", "噪音扰民。", "李四", "应县金城镇", "0349-5021234", "应县"]])
    case = batch.rows[0]
    assert case.personal == {"name": "李四", "address": "应县金城镇", "phone": "0349-5021234"}
    assert case.region == "应县"


def test_the_best_matching_row_among_the_first_rows_is_the_header() -> None:
    rows = [
        ["中央第二生态环境保护督察组第三批交办件"],
        [],
        ["填报单位：朔州市整改办", "", "", "填报时间：2018年11月20日"],
        HEAD,
        _case(),
    ]
    batch = _parse(rows)
    assert batch.title == "中央第二生态环境保护督察组第三批交办件"
    assert batch.batch_no == 3
    assert [c.line for c in batch.rows] == [5]


def test_the_batch_number_falls_back_to_the_file_name() -> None:
    batch = parse_batch(_csv([HEAD, _case()]), "第12批交办件 汇总.csv")
    assert (batch.title, batch.batch_no) == ("", 12)
    assert parse_batch(_csv([HEAD, _case()]), "交办件.csv").batch_no is None


def test_a_two_row_header_with_merged_group_cells_is_read() -> None:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = book.add_worksheet()
    ws.merge_range(0, 0, 0, 6, "第5批交办件")
    for col, text in enumerate(["序号", "交办编号", "举报内容"]):
        ws.merge_range(1, col, 2, col, text)
    ws.merge_range(1, 3, 1, 4, "举报人信息")
    ws.write_row(2, 3, ["姓名", "联系电话"])
    ws.merge_range(1, 5, 1, 6, "办理情况")
    ws.write_row(2, 5, ["是否属实", "办理状态"])
    ws.write_row(3, 0, [1, "D1", "煤场扬尘。", "赵六", "13812345678", "否", "办结"])
    book.close()
    batch = parse_batch(out.getvalue(), "x.xlsx")
    assert batch.batch_no == 5
    assert batch.headers["name"] == "举报人信息/姓名"
    case = batch.rows[0]
    assert case.line == 4
    assert case.personal == {"name": "赵六", "phone": "13812345678"}
    assert (case.verdict, case.status) == ("unsubstantiated", "closed")


def test_a_region_merged_down_several_cases_fills_each_case() -> None:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = book.add_worksheet()
    ws.write_row(0, 0, ["交办编号", "行政区域", "举报内容", "是否属实"])
    ws.merge_range(1, 1, 3, 1, "怀仁市")
    for r in range(1, 4):
        ws.write_row(r, 0, [f"D{r}"])
        ws.write_row(r, 2, [f"第{r}件。", "属实"])
    book.close()
    assert [c.region for c in parse_batch(out.getvalue(), "x.xlsx").rows] == ["怀仁市"] * 3


def test_a_workbook_is_read_from_the_first_sheet_with_a_header() -> None:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.add_worksheet("说明").write(0, 0, "本表为第3批交办件办理情况")
    ws = book.add_worksheet("交办件")
    ws.write_row(0, 0, HEAD)
    ws.write_row(1, 0, _case())
    book.close()
    assert len(parse_batch(out.getvalue(), "x.xlsx").rows) == 1


# ---------------------------------------------------------------- cells


@pytest.mark.parametrize(
    ("written", "verdict"),
    [
        ("属实", "substantiated"),
        ("属实。", "substantiated"),
        (" 是 ", "substantiated"),
        ("经查，反映问题属实", "substantiated"),
        ("部分属实", "partly"),
        ("基本属实", "partly"),
        ("不属实", "unsubstantiated"),
        ("否", "unsubstantiated"),
        ("反映问题不属实。", "unsubstantiated"),
        ("", ""),
        ("待查", None),
    ],
)
def test_verdicts_in_every_spelling(written: str, verdict: str | None) -> None:
    assert parse_verdict(written) == verdict


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("办结", "closed"),
        ("已办结", "closed"),
        ("完成", "closed"),
        ("是", "closed"),
        ("阶段性办结", "stage_closed"),
        ("阶段办结", "stage_closed"),
        ("未办结", "open"),
        ("正在办理", "open"),
        ("办理中", "open"),
        ("", "open"),
        ("否", "open"),
        ("转交公安", None),
    ],
)
def test_statuses_in_every_spelling(written: str, status: str | None) -> None:
    assert parse_status(written) == status


def test_an_unknown_verdict_or_status_is_a_warning_not_a_guess() -> None:
    batch = _parse([HEAD, _case(是否属实="待查", 办理状态="转交公安")])
    case = batch.rows[0]
    assert (case.verdict, case.status) == ("", "open")
    messages = [m for line, m in batch.warnings if line == 2]
    assert any("是否属实“待查”无法识别" in m for m in messages)
    assert any("办理状态“转交公安”无法识别" in m for m in messages)


@pytest.mark.parametrize(
    ("written", "types"),
    [
        ("大气污染、水污染", ("大气", "水")),
        ("扬尘，油烟\n噪音", ("大气", "噪声")),
        ("危险废物/土壤污染", ("固废", "土壤")),
        ("固体废物；危废", ("固废",)),
        ("生态破坏 辐射", ("生态", "辐射")),
        ("大气 污染", ("大气",)),
        ("光污染、其它", ("光污染", "其他")),
        ("", ()),
    ],
)
def test_pollution_types_split_and_map_to_canonical_names(written: str, types: tuple[str, ...]) -> None:
    assert canonical_types(written) == types


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2018-11-20", date(2018, 11, 20)),
        ("2018/11/20", date(2018, 11, 20)),
        ("2018.11.20", date(2018, 11, 20)),
        ("2018年11月20日", date(2018, 11, 20)),
        ("2018 年 11 月 20 日", date(2018, 11, 20)),
        ("２０１８年１１月２０日", date(2018, 11, 20)),
        ("2018-11-20 09:30:00", date(2018, 11, 20)),
        ("20181120", date(2018, 11, 20)),
        ("43424", date(2018, 11, 20)),
        (43424.0, date(2018, 11, 20)),
        (datetime(2018, 11, 20, 9, 30), date(2018, 11, 20)),
        (date(2018, 11, 20), date(2018, 11, 20)),
    ],
)
def test_dates_in_every_written_form(written: Any, expected: date) -> None:
    assert parse_date(written) == (expected, True)


def test_a_month_and_day_take_the_year_hint() -> None:
    assert parse_date("11月20日", 2018) == (date(2018, 11, 20), True)
    assert parse_date("11月20日") == (None, False)
    assert parse_date("") == (None, True)
    assert parse_date("2018-02-30") == (None, False)


def test_a_month_and_day_take_the_year_the_file_uses_elsewhere() -> None:
    batch = _parse([HEAD, _case("D1"), _case("D2", 交办时间="11月21日")])
    assert [c.assigned_on for c in batch.rows] == [date(2018, 11, 20), date(2018, 11, 21)]
    assert batch.warnings == []


def test_a_month_and_day_without_any_year_is_a_warning() -> None:
    batch = _parse([HEAD, _case(交办时间="11月21日")])
    assert batch.rows[0].assigned_on is None
    assert any("缺少年份" in m for _, m in batch.warnings)
    assert _parse([HEAD, _case(交办时间="11月21日")], year_hint=2019).rows[0].assigned_on == date(2019, 11, 21)


def test_a_line_break_inside_a_sentence_is_joined_and_paragraphs_kept() -> None:
    written = (
        "  经核查，该企业煤堆\r\n未苫盖，   道路未硬化。\r\n\r\n二、处理情况\n责令\n整改。\n1.立即苫盖；\n2.硬化道路。"
    )
    assert (
        repair_text(written)
        == "经核查，该企业煤堆未苫盖，道路未硬化。\n二、处理情况责令整改。\n1.立即苫盖；\n2.硬化道路。"
    )
    assert repair_text("PM10\n浓度超标") == "PM10浓度超标"
    assert repair_text("use of\nVOCs") == "use of VOCs"


def test_codes_are_normalised() -> None:
    assert normalize_code(" Ｄ１４０ ０００１\n") == "D1400001"
    assert normalize_code("x14000018111200003") == "X14000018111200003"
    assert normalize_code(1400018.0) == "1400018"


def test_content_cells_are_repaired_in_the_parsed_rows() -> None:
    batch = _parse([HEAD, _case(举报内容="朔城区某煤场\n露天堆放，\n扬尘严重。", 行政区域=" 朔 城 区 ")])
    assert batch.rows[0].content == "朔城区某煤场露天堆放，扬尘严重。"
    assert batch.rows[0].region == "朔城区"


# ---------------------------------------------------------------- warnings


def test_a_duplicate_code_is_skipped_with_a_warning() -> None:
    batch = _parse([HEAD, _case("D1"), _case("D2"), _case("Ｄ1", 举报内容="另一件。")])
    assert [c.code for c in batch.rows] == ["D1", "D2"]
    assert (4, "受理编号 D1 与第 2 行重复，已跳过本行。") in batch.warnings


def test_a_blank_row_between_cases_is_reported_and_trailing_ones_are_not() -> None:
    rows = [HEAD, _case("D1"), [""] * len(HEAD), _case("D2"), [""] * len(HEAD), [""] * len(HEAD)]
    batch = _parse(rows)
    assert [c.line for c in batch.rows] == [2, 4]
    assert batch.warnings == [(3, "空行，已跳过。")]


def test_a_row_without_code_and_content_is_skipped_with_a_warning() -> None:
    batch = _parse([HEAD, _case("D1"), _case("", 举报内容="", 行政区域="合计")])
    assert len(batch.rows) == 1
    assert batch.warnings[0][0] == 3
    assert "没有受理编号和举报内容，已跳过" in batch.warnings[0][1]
    assert "合计" in batch.warnings[0][1]


def test_a_case_without_code_is_kept_with_a_warning() -> None:
    batch = _parse([HEAD, _case("")])
    assert batch.rows[0].code == ""
    assert batch.warnings == [(2, "缺少受理编号。")]


def test_a_repeated_header_row_is_skipped() -> None:
    batch = _parse([HEAD, _case("D1"), HEAD, _case("D2")])
    assert [c.code for c in batch.rows] == ["D1", "D2"]
    assert batch.warnings == [(3, "重复的表头行，已跳过。")]


def test_an_id_number_stored_as_a_number_is_a_warning() -> None:
    header = ["交办编号", "举报内容", "身份证号"]
    data = write_xlsx(header, [["D1", "扬尘。", 140602199001011234.0]])
    batch = parse_batch(data, "x.xlsx")
    assert any("身份证号被存为数字" in m for _, m in batch.warnings)


# ---------------------------------------------------------------- files


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8", "utf-8-sig", "utf-16"])
def test_csv_in_every_encoding_offices_use_gives_the_same_batch(encoding: str) -> None:
    headers, rows = generate_batch(40, seed=3, batch_no=2)
    reference = parse_batch(write_csv(headers, rows, "utf-8"), "第2批.csv")
    batch = parse_batch(write_csv(headers, rows, encoding), "第2批.csv")
    assert batch == reference
    assert len(batch.rows) == 40


def test_a_tab_separated_text_file_is_read() -> None:
    text = "\t".join(HEAD) + "\n" + "\t".join(_case()) + "\n"
    assert len(parse_batch(text.encode("gbk"), "交办件.txt").rows) == 1


def test_the_generated_workbook_round_trips_through_the_parser() -> None:
    name, data = batch_file(120, seed=7, batch_no=3)
    batch = parse_batch(data, name)
    cases = generate_cases(120, seed=7, batch_no=3)
    assert batch.title == batch_title(3)
    assert batch.batch_no == 3
    assert len(batch.rows) == 120
    assert all(message == "空行，已跳过。" for _, message in batch.warnings)
    for case, row in zip(cases, batch.rows, strict=True):
        assert row.code == case.code
        assert row.verdict == case.verdict
        assert row.status == case.status
        assert row.types == canonical_types("、".join(case.types))
        assert row.region == case.cells["region"]
        assert row.assigned_on == date(2018, 11, 12)
        assert row.content.startswith(str(case.cells["content"])[:20].strip())
        assert "\r" not in row.content and "\n" not in row.content
    assert {r.verdict for r in batch.rows} == {"substantiated", "partly", "unsubstantiated"}
    assert {r.status for r in batch.rows} == {"closed", "stage_closed", "open"}
    assert any(len(r.types) > 1 for r in batch.rows)


def test_a_clean_generated_batch_parses_without_warnings() -> None:
    for fmt in ("xlsx", "csv"):
        name, data = batch_file(60, seed=11, batch_no=1, messy=False, fmt=fmt)
        batch = parse_batch(data, name)
        assert batch.warnings == []
        assert batch.batch_no == 1
        assert list(batch.headers.values())[:3] == HEADERS[:3]


def test_the_generator_is_deterministic_and_marks_repeats() -> None:
    assert generate_batch(30, seed=5) == generate_batch(30, seed=5)
    cases = generate_cases(120)
    pairs = repeat_pairs(120)
    assert 2 <= len(pairs) <= 6
    by_code = {c.code: c for c in cases}
    for earlier, repeat in pairs:
        assert by_code[earlier].subject == by_code[repeat].subject
        assert earlier != repeat
    originals = [c.subject for c in cases if c.repeat_of is None]
    assert len(originals) == len(set(originals))


def test_reused_codes_carry_the_same_complaint_into_a_later_batch() -> None:
    first = generate_cases(60, batch_no=3)
    reused = [c.code for c in first if c.repeat_of is None][:5]
    later = generate_cases(60, batch_no=4, codes_from=reused)
    assert [c.code for c in later[:5]] == reused
    assert [c.subject for c in later[:5]] == [c.subject for c in first if c.code in reused]
    assert len({c.code for c in later}) == 60


def test_generated_personal_data_lands_in_its_columns() -> None:
    batch = parse_batch(batch_file(120)[1], "第3批.xlsx")
    assert sum(1 for r in batch.rows if "phone" in r.personal) > 80
    assert sum(1 for r in batch.rows if "id_number" in r.personal) > 30
    assert any("电话" in r.content or "身份证" in r.content for r in batch.rows)


# ---------------------------------------------------------------- refused files


@pytest.mark.parametrize("data", [b"", b"  \r\n\t "])
def test_an_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(BatchError, match="文件为空") as info:
        parse_batch(data, "交办件.xlsx")
    assert _chinese(info.value.message)


def test_an_old_xls_file_is_refused_with_advice() -> None:
    with pytest.raises(BatchError, match=r"另存为.*\.xlsx"):
        parse_batch(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "交办件.xls")


def test_an_encrypted_workbook_is_refused() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + "EncryptionInfo".encode("utf-16-le")
    with pytest.raises(BatchError, match="密码"):
        parse_batch(ole, "交办件.xlsx")


@pytest.mark.parametrize("filename", ["交办件.xlsx", "交办件.csv", "交办件"])
def test_random_bytes_are_refused(filename: str) -> None:
    import random

    noise = bytes(random.Random(1).randrange(256) for _ in range(4096))
    with pytest.raises(BatchError) as info:
        parse_batch(noise, filename)
    assert _chinese(info.value.message)


def test_a_broken_zip_named_xlsx_is_refused() -> None:
    with pytest.raises(BatchError, match="损坏"):
        parse_batch(b"PK\x03\x04" + b"garbage" * 100, "交办件.xlsx")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(BatchError, match="文件过大") as info:
        parse_batch(b"x" * (parsers.MAX_BATCH_BYTES + 1), "交办件.csv")
    assert "20 MB" in info.value.message


def test_a_batch_over_the_row_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsers, "MAX_BATCH_ROWS", 5)
    with pytest.raises(BatchError, match="超过每批 5 行"):
        _parse([HEAD] + [_case(f"D{i}") for i in range(6)])


def test_a_zip_bomb_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<x/>" * 1000)
    data = bytearray(out.getvalue())
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = (300 * 1024 * 1024).to_bytes(4, "little")  # declared size
    with pytest.raises(BatchError, match="压缩炸弹"):
        parse_batch(bytes(data), "交办件.xlsx")


def test_a_table_without_a_recognisable_header_lists_what_was_expected() -> None:
    with pytest.raises(BatchError, match="未找到表头行") as info:
        _parse([["姓名", "年龄"], ["张三", "30"]])
    assert "受理编号" in info.value.message and "是否属实" in info.value.message


def test_an_html_table_saved_as_xls_is_refused_with_advice() -> None:
    with pytest.raises(BatchError, match="网页"):
        parse_batch("<html><table><tr><td>交办编号</td></tr></table></html>".encode(), "交办件.xls")


def test_a_word_file_is_refused() -> None:
    with pytest.raises(BatchError, match=r"\.xlsx 或 \.csv"):
        parse_batch(b"%PDF-1.4 something", "交办件.pdf")
