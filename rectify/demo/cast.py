"""Who acts in the history: the demo accounts (load_demo) and a clerk (联络员) for most other
responsible units, each unit with a reporting habit.

Habits are fixed here rather than drawn, so that a trainer can say "怀仁市党委 reports late" and
the history agrees whatever the seed: the seed only decides days, times and figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import User

from rectify.orgs.models import Membership, OrgUnit, Role


class Habit(StrEnum):
    PROMPT = "prompt"  # files every week before the deadline
    LATE = "late"  # files, but often after the deadline (the weekend or the next Monday)
    PARTIAL = "partial"  # files on time, but skips a few of its measures
    SILENT = "silent"  # has a clerk who never files


@dataclass(frozen=True)
class Clerk:
    unit: str
    username: str
    person: str
    habit: Habit = Habit.PROMPT


# The demo accounts county_clerk (朔城区政府) and dept_clerk (市生态环境局) come from load_demo.
# 市卫健委 and 中煤平朔集团公司 have no clerk on the platform: they never report.
CLERKS = [
    Clerk("市生态环境局", "dept_clerk", "赵强"),
    Clerk("朔城区政府", "county_clerk", "张丽"),
    Clerk("市委办公室", "clerk_swbgs", "刘洋"),
    Clerk("市政府办公室", "clerk_szfbgs", "陈静"),
    Clerk("市发改委", "clerk_fgw", "杨帆"),
    Clerk("市能源局", "clerk_nyj", "黄磊", Habit.PARTIAL),
    Clerk("市工信局", "clerk_gxj", "吴敏"),
    Clerk("市规划和自然资源局", "clerk_zrzy", "周杰"),
    Clerk("市交通局", "clerk_jtj", "徐涛", Habit.LATE),
    Clerk("市水利局", "clerk_slj", "孙丽"),
    Clerk("市行政审批局", "clerk_xzsp", "马超"),
    Clerk("市城市管理局", "clerk_cgj", "朱琳"),
    Clerk("市住建局", "clerk_zjj", "胡斌"),
    Clerk("市公路分局", "clerk_glfj", "郭勇"),
    Clerk("市市场监督管理局", "clerk_scjg", "何娟"),
    Clerk("市财政局", "clerk_czj", "高峰"),
    Clerk("朔城区党委", "clerk_scq_dw", "林芳"),
    Clerk("平鲁区党委", "clerk_plq_dw", "郑伟", Habit.LATE),
    Clerk("平鲁区政府", "clerk_plq_zf", "梁艳"),
    Clerk("怀仁市党委", "clerk_hrs_dw", "宋刚", Habit.LATE),
    Clerk("怀仁市政府", "clerk_hrs_zf", "谢婷"),
    Clerk("山阴县党委", "clerk_syx_dw", "韩冬", Habit.PARTIAL),
    Clerk("山阴县政府", "clerk_syx_zf", "唐敏"),
    Clerk("应县党委", "clerk_yx_dw", "冯军"),
    Clerk("应县政府", "clerk_yx_zf", "董霞", Habit.LATE),
    Clerk("右玉县党委", "clerk_yyx_dw", "曹亮", Habit.SILENT),
    Clerk("右玉县政府", "clerk_yyx_zf", "彭丽", Habit.PARTIAL),
    Clerk("朔州经济开发区党工委", "clerk_kfq_dgw", "曾毅"),
    Clerk("朔州经济开发区管委会", "clerk_kfq_gwh", "萧红"),
    Clerk("大同煤矿集团朔州热电有限公司", "clerk_rdgs", "田野", Habit.LATE),
]
OFFICE_USERS = ["city_office", "county_office", "acceptance", "county_clerk", "dept_clerk"]


@dataclass
class Cast:
    users: dict[str, User]  # username → user (one object each, so its scope is computed once)
    clerks: dict[int, User]  # unit id → its clerk
    habits: dict[int, Habit]  # unit id → habit
    units: dict[str, OrgUnit]  # unit name → unit

    def user(self, username: str) -> User:
        return self.users[username]

    def clerk_of(self, unit_name: str) -> User:
        return self.clerks[self.units[unit_name].pk]


def cast_ensure(*, password: str | None = None) -> tuple[Cast, int]:
    """The clerk accounts and memberships (idempotent, like load_demo's accounts); returns the
    cast and how many accounts were created. New accounts get `password`, or none usable."""
    units = {u.name: u for u in OrgUnit.objects.filter(name__in=[c.unit for c in CLERKS])}
    created = 0
    for spec in CLERKS:
        unit = units.get(spec.unit)
        if unit is None:
            continue
        user, new = User.objects.get_or_create(username=spec.username)
        if new or password:
            user.first_name = f"{spec.unit} {spec.person}"
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
            created += int(new)
        Membership.objects.get_or_create(user=user, unit=unit, role=Role.CLERK)
    names = [c.username for c in CLERKS] + OFFICE_USERS
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    clerks = {units[c.unit].pk: users[c.username] for c in CLERKS if c.unit in units and c.username in users}
    habits = {units[c.unit].pk: c.habit for c in CLERKS if c.unit in units}
    return Cast(users=users, clerks=clerks, habits=habits, units=units), created
