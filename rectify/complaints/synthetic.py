"""Synthetic batches of complaint cases (交办件) for tests, demos and benchmarks.

Owns `generate_batch` (realistic Shuozhou cases modelled on seed 004: coal tar sold to an
unlicensed buyer, forest land seized and poplars killed, farmland sold off, a restaurant's back
door opening into a residential compound, coal-yard dust, boiler smoke, sewage into a river…,
with every spelling of verdicts and statuses, personal data in its own columns and now and then
inside the complaint text, and, when `messy`, the artefacts of real office files), `write_xlsx`,
`write_csv`, `batch_file` (a whole file with its title row) and `repeat_pairs` (which cases are
repeats of an earlier one). Everything is deterministic for a given seed.

A case's substance (region, place, party, complaint) is drawn from its 交办编号, so a later batch
that reuses a code through `codes_from` carries the same complaint with a new verdict and status —
what a re-import looks like. Pure: no Django.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

__all__ = [
    "HEADERS",
    "SyntheticCase",
    "batch_file",
    "batch_title",
    "generate_batch",
    "generate_cases",
    "random_id_number",
    "repeat_pairs",
    "write_csv",
    "write_xlsx",
]

# field → (clean header, messy variants)
_HEADER_VARIANTS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "序 号"),
    "code": ("交办编号", "交办\n编号", "受理编号"),
    "assigned_on": ("交办时间", "交办 日期"),
    "region": ("行政区域", "县（市、区）", "所属区域"),
    "types": ("污染类型", "污染\n类型"),
    "content": ("举报内容", "信访内容", "反映问题"),
    "name": ("举报人", "举报人姓名"),
    "phone": ("联系电话", "联系\n电话"),
    "id_number": ("身份证号", "身份证号码"),
    "address": ("住址", "家庭住址"),
    "investigation": ("调查核实情况", "核查情况"),
    "verdict": ("是否属实", "是否 属实"),
    "handling": ("处理和整改情况", "处理整改情况"),
    "accountability": ("问责情况", "问责\n情况"),
    "status": ("办理状态", "办结情况"),
    "note": ("备注",),
}
FIELDS = tuple(_HEADER_VARIANTS)
HEADERS = [variants[0] for variants in _HEADER_VARIANTS.values()]

_REGIONS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    # region: (short name, ID-number area code, towns, streets)
    "朔城区": (
        "朔州",
        "140602",
        ("神头镇", "利民镇", "南榆林乡", "沙塄河乡", "窑子头乡", "张蔡庄乡", "贾庄乡", "下团堡乡", "北城街道"),
        ("西兴街", "鄯阳街", "民福街", "张辽北路", "开发南路", "文远路"),
    ),
    "平鲁区": (
        "平鲁",
        "140603",
        ("井坪镇", "凤凰城镇", "向阳堡乡", "白堂乡", "陶村乡", "下木角乡", "阻虎乡", "高石庄乡"),
        ("振兴路", "府前街", "新建街"),
    ),
    "怀仁市": (
        "怀仁",
        "140681",
        ("云中镇", "金沙滩镇", "毛家皂镇", "吴家窑镇", "海北头乡", "河头乡", "新家园乡", "亲和乡"),
        ("仁福路", "怀安东街", "新建南路"),
    ),
    "山阴县": (
        "山阴",
        "140621",
        ("岱岳镇", "玉井镇", "北周庄镇", "古城镇", "吴马营乡", "马营庄乡", "合盛堡乡", "后所乡"),
        ("府前街", "兴业路", "东城大街"),
    ),
    "应县": (
        "应县",
        "140622",
        ("金城镇", "南河种镇", "下社镇", "义井乡", "臧寨乡", "杏寨乡", "大临河乡", "南泉乡"),
        ("佛宫路", "金城大街", "新华街"),
    ),
    "右玉县": (
        "右玉",
        "140623",
        ("新城镇", "右卫镇", "威远镇", "元堡子镇", "牛心堡乡", "高家堡乡", "丁家窑乡", "李达窑乡"),
        ("玉林大街", "右卫街", "苍头河路"),
    ),
    "朔州经济开发区": ("朔州", "140602", ("北旺庄街道", "神头工业园区", "新兴产业园区"), ("开发北路", "恢河路")),
}
_REGION_WEIGHTS = (28, 16, 16, 13, 11, 8, 8)
_BRANDS = (
    "鑫源 宏达 金华 恒泰 晋北 兴盛 泰安 永昌 通达 盛丰 顺发 中翔 福瑞 德润 华阳 昌盛 广源 宏图 金鼎 瑞丰 隆鑫 "
    "安顺 嘉禾 北岳 塞北 桑干 雁门 恒昌 众和 天成"
).split()
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
_GIVEN = "栓喜全明军平俊建国华文海福贵祥玉兰英芳志强伟红梅秀春生旺宝成德忠云凤林山虎"
_VILLAGE_HEADS = "马家 东 西 南 北 杨家 张家 李家 王家 刘家 大 小 后 前 新 上 下 高家 白家 石".split()
_VILLAGE_TAILS = "庄 堡 窑 营 湾 坪 沟 寨 店".split()
_RIVERS = ("桑干河", "恢河", "七里河", "源子河", "元子河", "黄水河", "苍头河", "木瓜河")
_COMPOUNDS = ("鸿福家园", "民福小区", "锦绣花园", "世纪花园", "御景园", "金沙小区", "和谐家园", "阳光小区")


@dataclass(frozen=True)
class _Template:
    kinds: tuple[str, ...]  # the party's kind of business; () when the party is a person/village
    types: tuple[tuple[str, ...], ...]  # per pollution type, its written variants
    content: str
    found: str  # what the investigation found when the complaint holds
    handling: str


_TEMPLATES = (
    _Template(
        ("焦化有限公司", "能源化工有限公司", "煤化工有限公司"),
        (("危险废物", "固废", "危废", "固体废物"), ("土壤", "土壤污染")),
        "{region}{company}长期将危险废物煤焦油未按规定存放，非法处置，卖给没有任何危险废物经营资质的人。",
        "{company}煤焦油暂存场所未设置防渗措施，部分煤焦油交由无危险废物经营资质的个人处置",
        "责令{company}立即规范危险废物贮存场所，严格执行转移联单制度；{region}环保部门对其非法处置危险废物行为立案调查。",
    ),
    _Template(
        (),
        (("生态", "生态破坏", "生态环境"),),
        "{region}{town}村民{person}伙同原村支书{person2}，采取制作假证件的方式霸占村集体的林地（{village}东南方），"
        "且将林地内{count}多株杨树破坏致死，严重破坏生态环境。",
        "{person}未经批准占用{village}集体林地约{area}亩，毁坏杨树{count}余株",
        "{region}林业部门对{person}毁林行为立案查处，责令限期补植杨树{count}株；公安机关对伪造证件问题立案侦查。",
    ),
    _Template(
        (),
        (("土壤", "土地"), ("生态", "生态破坏")),
        "{region}{town}{village}土地被转卖他用，破坏耕地，在耕地上违法建设{building}。",
        "{village}村委将约{area}亩耕地违规转让用于建设{building}",
        "{region}自然资源部门立案查处，责令拆除违法建筑、恢复耕地种植条件。",
    ),
    _Template(
        ("老火锅", "饭店", "烧烤店", "酒楼"),
        (("油烟", "大气", "大气污染"), ("噪音", "噪声", "噪声污染")),
        "{region}{street}{company}后门开到{compound}小区，并在小区内养狗，油烟直排，狗叫扰民。",
        "{company}后门开向{compound}小区，店内油烟净化设施未正常运行，并在小区内饲养犬只2条",
        "责令{company}封堵后门、清洗维护油烟净化设施，犬只已移出小区。",
    ),
    _Template(
        ("煤场", "洗煤厂", "储煤场", "实业有限公司"),
        (("扬尘", "大气", "大气污染"),),
        "{region}{town}{company}露天堆放煤炭，场区道路未硬化，运煤车辆过往扬尘污染严重。",
        "{company}煤堆苫盖不全，场区道路约{area}米未硬化",
        "责令{company}对煤堆全部苫盖、场区道路硬化并配备洒水车，每日定时洒水抑尘。",
    ),
    _Template(
        ("热力公司", "供热站", "洗浴中心", "宾馆"),
        (("大气", "大气污染", "烟尘"),),
        "{region}{town}{company}燃煤锅炉冒黑烟，未安装除尘脱硫设施，周边居民苦不堪言。",
        "{company}使用1台{area}蒸吨燃煤锅炉，除尘设施未正常运行",
        "责令{company}停止使用燃煤锅炉，限期完成煤改气；{region}环保部门对其超标排放行为立案处罚。",
    ),
    _Template(
        ("造纸厂", "化工有限公司", "屠宰场", "乳业有限公司"),
        (("水", "水污染", "废水"),),
        "{region}{town}{company}将生产废水未经处理通过暗管直排{river}，河水发黑发臭。",
        "{company}污水处理设施未正常运行，部分生产废水经暗管排入{river}",
        "封堵排污暗管，责令{company}停产整治；对{river}受污染河段进行清淤。",
    ),
    _Template(
        ("石料厂", "采石场", "建材有限公司", "砂石厂"),
        (("噪声", "噪音", "噪声污染"), ("粉尘", "大气")),
        "{region}{town}{village}附近{company}夜间开采、破碎石料，噪音很大，粉尘污染严重，影响村民休息。",
        "{company}存在夜间生产行为，破碎工序未封闭",
        "责令{company}夜间（22时至次日6时）停止生产，破碎工序全封闭并安装喷淋设施。",
    ),
    _Template(
        ("养殖场", "养猪场", "养牛场", "奶牛养殖园区"),
        (("恶臭", "大气", "异味"), ("水", "水污染")),
        "{region}{town}{village}{company}粪污随意堆放，臭味熏天，污水流入周边农田。",
        "{company}未建设防渗储粪场，粪污露天堆放约{area}立方米",
        "责令{company}建设防渗储粪场和污水收集池，粪污清运还田、资源化利用。",
    ),
    _Template(
        (),
        (("大气", "大气污染"), ("固废", "垃圾", "生活垃圾")),
        "{region}{town}{village}有人长期在村边焚烧生活垃圾和废旧轮胎，黑烟刺鼻。",
        "{village}村边有垃圾焚烧痕迹{count2}处",
        "清理垃圾堆放点{count2}处，{town}建立村级保洁制度，落实网格员巡查。",
    ),
    _Template(
        (),
        (("大气", "大气污染", "燃煤"),),
        "{region}{street}{compound}小区煤改气工程进展缓慢，居民冬季仍燃煤取暖，烟气污染严重。",
        "{compound}小区尚有{count2}户未完成煤改气入户通气",
        "完成{compound}小区{count2}户煤改气入户通气，取缔燃煤灶台。",
    ),
    _Template(
        ("煤业有限公司", "矿业有限公司", "露天煤矿"),
        (("生态", "生态破坏", "矿山生态"),),
        "{region}{town}{company}露天开采破坏山体植被，采坑未回填，未进行生态修复。",
        "{company}采坑约{area}亩未回填治理",
        "责令{company}停止越界开采，编制矿山地质环境治理恢复方案，完成复绿{area}亩。",
    ),
    _Template(
        ("煤业有限公司", "洗煤厂"),
        (("固废", "固体废物", "煤矸石"), ("大气",), ("水",)),
        "{region}{town}{company}将煤矸石随意倾倒在{river}河道内，矸石山自燃冒烟。",
        "{company}在{river}河道倾倒煤矸石约{tons}吨，矸石山局部自燃",
        "清运河道内煤矸石约{tons}吨，对矸石山灭火覆土、分层碾压。",
    ),
    _Template(
        ("实业有限公司", "物流园", "商砼站"),
        (("扬尘", "大气"),),
        "{region}{company}厂区道路未硬化，大型车辆进出扬尘严重，周边居民门窗不敢打开。",
        "{company}厂区道路约{area}米未硬化，车辆未冲洗",
        "责令{company}完成厂区道路硬化，安装车辆冲洗平台。",
    ),
)
_BUILDINGS = ("厂房", "储煤场", "砖厂", "养殖圈舍", "停车场")
_VERDICT_WRITTEN = {
    "substantiated": ("属实", "属实", "属实", "是", "属实。", " 属实 "),
    "partly": ("部分属实", "部分属实", "基本属实"),
    "unsubstantiated": ("不属实", "不属实", "否"),
}
_STATUS_WRITTEN = {
    "closed": ("办结", "已办结", "办结"),
    "stage_closed": ("阶段性办结", "阶段办结"),
    "open": ("未办结", "正在办理", ""),
}


@dataclass(frozen=True)
class SyntheticCase:
    code: str  # normalised, as parse_batch gives it
    key: str  # what its substance was drawn from: the code, or the code and a salt
    subject: str  # region|place|party: what makes two cases "the same problem"
    repeat_of: str | None  # code of the earlier case this one repeats
    verdict: str
    status: str
    types: tuple[str, ...]  # as written
    cells: dict[str, object]  # field → cell value as written (before messy artefacts)


def batch_title(batch_no: int) -> str:
    return f"中央第二生态环境保护督察组第{batch_no}批交办件（群众举报）"


def _assigned_on(batch_no: int) -> date:
    return date(2018, 11, 8) + timedelta(days=2 * (batch_no - 1))


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def random_id_number(rng: random.Random, area: str = "140602") -> str:
    """An 18-digit ID number with a valid check digit, born 1950–1995."""
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 45))
    body = f"{area}{born:%Y%m%d}{rng.randrange(1000):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _core(key: str) -> tuple[str, str, dict[str, str], _Template]:
    """A case's substance, drawn from its key (its code): region, subject, slot values, template."""
    rng = random.Random(f"case:{key}")
    region = rng.choices(list(_REGIONS), weights=_REGION_WEIGHTS)[0]
    short, _, towns, streets = _REGIONS[region]
    template = rng.choice(_TEMPLATES)
    village = rng.choice(_VILLAGE_HEADS) + rng.choice(_VILLAGE_TAILS) + "村"
    kind = rng.choice(template.kinds) if template.kinds else ""
    brand = rng.choice(_BRANDS)
    company = f"{rng.choice((short, short, '山西', '朔州市'))}{brand}{kind}" if kind else ""
    if kind in ("老火锅", "饭店", "烧烤店", "酒楼"):
        company = f"{rng.choice(('重庆', brand, '老北京', '东北'))}{kind}"
    slots = {
        "region": region,
        "town": rng.choice(towns),
        "street": rng.choice(streets),
        "village": village,
        "company": company,
        "person": _person(rng),
        "person2": _person(rng),
        "compound": rng.choice(_COMPOUNDS),
        "river": rng.choice(_RIVERS),
        "building": rng.choice(_BUILDINGS),
        "count": str(rng.choice((30, 50, 80, 100, 130, 200))),
        "count2": str(rng.randint(2, 40)),
        "area": str(rng.randint(3, 300)),
        "tons": str(rng.randint(50, 5000)),
    }
    place = slots["street"] if "{street}" in template.content else f"{slots['town']}{village}"
    party = company or slots["person"] if "{person}" in template.content else company or village
    return region, f"{region}|{place}|{party}", slots, template


def _accountability(rng: random.Random, verdict: str, town: str) -> str:
    if verdict == "unsubstantiated" or rng.random() < 0.15:
        return rng.choice(("无", "", "不涉及"))
    talks, blamed, cases = rng.randint(0, 3), rng.randint(0, 2), rng.randint(0, 2)
    parts = []
    if talks:
        parts.append(f"约谈{talks}人")
    if blamed:
        parts.append(f"问责{blamed}人")
    if cases:
        parts.append(f"立案处罚{cases}起罚款{rng.choice((1, 2, 3, 5, 8, 10, 20))}万元")
    if not parts:
        return f"对{town}分管负责人进行约谈。"
    return "、".join(parts) if rng.random() < 0.6 else "，".join(parts) + "。"


def generate_cases(
    n: int = 120, *, seed: int = 7, batch_no: int = 3, codes_from: Sequence[str] | None = None
) -> list[SyntheticCase]:
    """The cases of one batch before any messy artefact: ~3 % repeat an earlier case (same place
    and party, new code); the first cases reuse `codes_from` (codes of an earlier batch)."""
    rng = random.Random(f"batch:{seed}:{batch_no}")
    assigned = _assigned_on(batch_no)
    reused = [str(c).strip() for c in (codes_from or ())][:n]
    repeats = (
        set(rng.sample(range(max(len(reused), n // 4, 1), n), min(max(1, round(n * 0.03)), n // 2))) if n > 4 else set()
    )
    cases: list[SyntheticCase] = []
    subjects: dict[str, str] = {}  # subject → code of its first case
    for i in range(n):
        code = reused[i] if i < len(reused) else f"{rng.choice('XDD')}140000{assigned:%y%m%d}{i + 1:05d}"
        repeat_of = None
        if i in repeats and cases:
            original = rng.choice([c for c in cases if c.repeat_of is None])
            key, repeat_of = original.key, original.code
            region, subject, slots, template = _core(key)
        else:
            key, salt = code, 0
            region, subject, slots, template = _core(key)
            while subject in subjects and i >= len(reused):  # two different cases, two subjects
                salt += 1
                key = f"{code}#{salt}"
                region, subject, slots, template = _core(key)
            subjects.setdefault(subject, code)
        content = template.content.format(**slots)
        if repeat_of:
            content += rng.choice(("该问题此前已向督察组反映过，至今仍未解决。", "群众再次反映，问题反弹。"))
        types = tuple(rng.choice(variants) for variants in template.types)
        verdict = rng.choices(list(_VERDICT_WRITTEN), weights=(55, 25, 20))[0]
        if verdict == "unsubstantiated":
            status = rng.choices(list(_STATUS_WRITTEN), weights=(85, 5, 10))[0]
        else:
            status = rng.choices(list(_STATUS_WRITTEN), weights=(50, 30, 20))[0]
        cells = _cells(rng, i, code, assigned, region, slots, template, content, types, verdict, status)
        cases.append(SyntheticCase(code, key, subject, repeat_of, verdict, status, types, cells))
    return cases


def _cells(
    rng: random.Random,
    i: int,
    code: str,
    assigned: date,
    region: str,
    slots: dict[str, str],
    template: _Template,
    content: str,
    types: tuple[str, ...],
    verdict: str,
    status: str,
) -> dict[str, object]:
    found = template.found.format(**slots)
    team = rng.choice((f"{region}政府组织环保、国土、林业等部门", f"市环保局{region}分局", f"{region}协调联络组"))
    if verdict == "substantiated":
        investigation = f"经{team}现场核查，{found}，反映问题属实。"
    elif verdict == "partly":
        investigation = f"经{team}现场核查，{found}；反映的其他情况与实际不符，反映问题部分属实。"
    else:
        investigation = f"经{team}现场核查，未发现反映的问题，反映问题不属实。"
    if verdict == "unsubstantiated":
        handling = "已向举报人做好解释说明工作，要求属地加强日常监管。"
    else:
        handling = template.handling.format(**slots)
        if status == "closed":
            handling += "目前已整改到位。"
        elif status == "stage_closed":
            handling += f"目前已完成阶段性整改，计划{assigned.year + 1}年6月底前全部完成。"
    name = rng.choices((_person(rng), "匿名", ""), weights=(80, 10, 10))[0]
    phone = rng.choices((_mobile(rng), f"0349-{rng.randint(2000000, 8999999)}", ""), weights=(80, 10, 10))[0]
    area_code = _REGIONS[region][1]
    id_number = random_id_number(rng, area_code) if name != "匿名" and rng.random() < 0.6 else ""
    address = f"{region}{slots['town']}{slots['village']}{rng.randint(1, 200)}号" if rng.random() < 0.6 else ""
    if rng.random() < 0.1:  # personal data inside the complaint itself
        content += rng.choice(
            (
                f"（联系人{_person(rng)}，电话{_mobile(rng)}）",
                f"举报人：{_person(rng)}，身份证号{random_id_number(rng, area_code)}。",
                f"联系电话：{_mobile(rng)[:3]}-{_mobile(rng)[3:7]}-{_mobile(rng)[7:]}。",
            )
        )
    return {
        "seq": i + 1,
        "code": code,
        "assigned_on": assigned,
        "region": region,
        "types": "、".join(types),
        "content": content,
        "name": name,
        "phone": phone,
        "id_number": id_number,
        "address": address,
        "investigation": investigation,
        "verdict": rng.choice(_VERDICT_WRITTEN[verdict]),
        "handling": handling,
        "accountability": _accountability(rng, verdict, slots["town"]),
        "status": rng.choice(_STATUS_WRITTEN[status]),
        "note": rng.choice(("", "", "", "", "已现场督办", "市领导包联")),
    }


_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def _break_sentence(rng: random.Random, text: str) -> str:
    """A line break inside a sentence, as Excel wraps pasted from Word leave them."""
    stops = [k for k in range(4, len(text) - 4) if text[k - 1] not in "。；，、：（" and text[k] not in "。；，、）"]
    if not stops:
        return text
    k = rng.choice(stops)
    return text[:k] + rng.choice(("\n", "\r\n", "\n ")) + text[k:]


def _messy(rng: random.Random, field: str, value: object, assigned: date) -> object:
    if field == "code" and isinstance(value, str):
        r = rng.random()
        if r < 0.1:
            return value.translate(_FULL_WIDTH_DIGITS)
        if r < 0.15:
            return f"{value[:7]} {value[7:]}"
        return f" {value} " if r < 0.25 else value
    if field == "assigned_on":
        r = rng.random()
        if r < 0.55:
            return assigned
        forms: list[object] = [
            f"{assigned:%Y-%m-%d}",
            f"{assigned.year}/{assigned.month}/{assigned.day}",
            f"{assigned.year}年{assigned.month}月{assigned.day}日",
            f"{assigned.month}月{assigned.day}日",
            float((assigned - date(1899, 12, 30)).days),
            datetime(assigned.year, assigned.month, assigned.day, 9, 30),
        ]
        return rng.choice(forms)
    if field == "types" and isinstance(value, str) and "、" in value:
        return value.replace("、", rng.choice(("、", "，", "\n", "/", "、", ",")))
    if field in ("content", "handling") and isinstance(value, str) and rng.random() < 0.3:
        return _break_sentence(rng, value)
    if field == "investigation" and isinstance(value, str) and rng.random() < 0.2:
        return value.replace("，", "，\r\n", 1)
    if isinstance(value, str) and value and rng.random() < 0.08:
        return rng.choice((" ", "  ", "\u3000")) + value + rng.choice(("", " ", "\n"))
    return value


def generate_batch(
    n: int = 120,
    *,
    seed: int = 7,
    batch_no: int = 3,
    messy: bool = True,
    codes_from: Sequence[str] | None = None,
) -> tuple[list[str], list[list[object]]]:
    """(headers, rows) of one batch; `messy` adds the artefacts of real files (header variants,
    line breaks inside sentences, stray spaces, full-width digits in codes, mixed date forms, a
    blank row). The title row is the writer's: see `batch_file`."""
    cases = generate_cases(n, seed=seed, batch_no=batch_no, codes_from=codes_from)
    rng = random.Random(f"messy:{seed}:{batch_no}")
    assigned = _assigned_on(batch_no)
    if messy:
        headers = [rng.choice(variants) for variants in _HEADER_VARIANTS.values()]
    else:
        headers = list(HEADERS)
    rows: list[list[object]] = []
    for case in cases:
        row = [case.cells[f] for f in FIELDS]
        if messy:
            row = [_messy(rng, f, v, assigned) for f, v in zip(FIELDS, row, strict=True)]
        rows.append(row)
    if messy and n >= 10:
        for _ in range(rng.randint(1, 2)):
            rows.insert(rng.randrange(3, len(rows)), ["" for _ in FIELDS])
    return headers, rows


def repeat_pairs(
    n: int = 120, *, seed: int = 7, batch_no: int = 3, codes_from: Sequence[str] | None = None
) -> list[tuple[str, str]]:
    """(earlier code, repeating code) for the repeats `generate_batch` with the same arguments
    makes; codes normalised as `parse_batch` gives them."""
    cases = generate_cases(n, seed=seed, batch_no=batch_no, codes_from=codes_from)
    return [(case.repeat_of, case.code) for case in cases if case.repeat_of]


def write_xlsx(headers: list[str], rows: list[list[object]], *, title: str = "", sheet: str = "交办件") -> bytes:
    """An .xlsx as offices make them: optional merged title row, wrapped text, real date cells."""
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = workbook.add_worksheet(sheet)
    bold = workbook.add_format({"bold": True, "text_wrap": True, "align": "center", "valign": "vcenter"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})
    minute = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm", "valign": "top"})
    first = 0
    if title:
        ws.merge_range(0, 0, 0, max(len(headers) - 1, 1), title, bold)
        first = 1
    for c, header in enumerate(headers):
        ws.write_string(first, c, header, bold)
    for r, row in enumerate(rows, start=first + 1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                ws.write_datetime(r, c, value, minute)
            elif isinstance(value, date):
                ws.write_datetime(r, c, datetime(value.year, value.month, value.day), day)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value), wrap)
    ws.set_column(0, len(headers) - 1, 16)
    workbook.close()
    return out.getvalue()


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(headers: list[str], rows: list[list[object]], encoding: str = "gb18030", *, title: str = "") -> bytes:
    """A .csv in `encoding` (gb18030 as Excel in China saves it; "utf-8-sig" for a BOM)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    if title:
        writer.writerow([title])
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue().encode(encoding)


def batch_file(
    n: int = 120,
    *,
    seed: int = 7,
    batch_no: int = 3,
    messy: bool = True,
    fmt: str = "xlsx",
    codes_from: Sequence[str] | None = None,
) -> tuple[str, bytes]:
    """(file name, bytes) of a whole batch file; a messy one has the title row above its header."""
    headers, rows = generate_batch(n, seed=seed, batch_no=batch_no, messy=messy, codes_from=codes_from)
    title = batch_title(batch_no) if messy else ""
    if fmt == "xlsx":
        return f"第{batch_no}批交办件.xlsx", write_xlsx(headers, rows, title=title)
    if fmt == "csv":
        return f"第{batch_no}批交办件.csv", write_csv(headers, rows, title=title)
    raise ValueError(f"unknown format {fmt!r}: xlsx or csv")
