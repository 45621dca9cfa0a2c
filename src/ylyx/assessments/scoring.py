"""GB/T 42195-2022 《老年人能力评估规范》: the 26 second-level items, the four first-level scores, the total,
the five levels and the level-change rules of Appendix C (C.4). Plain Python, no Django.

Every item and option is data (``ITEMS``); the scorer validates each answer against its item's options,
sums the first-level indicators (maxima 32 / 15 / 28 / 15, total 0–90), maps the total to the preliminary
level (90 → 0, 66–89 → 1, 46–65 → 2, 30–45 → 3, 0–29 → 4) and applies the C.4 rules:

1. coma (A.5.11) → directly the configured level (default 4 能力完全丧失; the B.3.9 note says 重度, see
   docs/standards-config.md);
2. dementia F00–F03, or another mental disorder F04–F99 diagnosed by a psychiatrist → one level higher;
3. two or more care-risk events (A.2.14) in the past 30 days → one level higher.

Whether rules 2 and 3 stack (+2) is a configuration flag (default: one step in total); the level is capped
at 4. Every difference between the preliminary and the final level carries its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STANDARD = "GB/T 42195-2022"

HELP5 = ((4, "独立完成，不需要他人帮助"), (3, "在他人指导或提示下完成"), (2, "需要他人协助，但以自身完成为主"),
         (1, "主要依靠他人协助，自身能给予配合"), (0, "完全依赖他人，不能给予配合"))


@dataclass(frozen=True)
class Item:
    code: str  # "B.1.1"
    name: str
    options: tuple[tuple[int, str], ...]  # (score, wording), best first

    @property
    def max(self) -> int:
        return max(s for s, _ in self.options)

    @property
    def scores(self) -> frozenset[int]:
        return frozenset(s for s, _ in self.options)


@dataclass(frozen=True)
class Dimension:
    code: str  # "B.1"
    key: str  # field name in results
    name: str
    items: tuple[Item, ...]

    @property
    def max(self) -> int:
        return sum(i.max for i in self.items)


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("B.1", "self_care", "自理能力", (
        Item("B.1.1", "进食", ((4, "独立使用器具将食物送进口中并咽下，没有呛咳"),
                              (3, "在他人指导或提示下完成，或独立使用辅具，没有呛咳"),
                              (2, "进食中需要少量接触式协助，偶尔（每月一次及以上）呛咳"),
                              (1, "在进食中需要大量接触式协助，经常（每周一次及以上）呛咳"),
                              (0, "完全依赖他人协助进食，或吞咽困难，或留置营养管"))),
        Item("B.1.2", "修饰（洗脸、刷牙、梳头、刮脸、剪指甲等）", HELP5),
        Item("B.1.3", "洗澡", HELP5),
        Item("B.1.4", "穿/脱上衣", HELP5),
        Item("B.1.5", "穿/脱裤子和鞋袜", HELP5),
        Item("B.1.6", "小便控制", ((4, "可自行控制排尿，排尿次数、排尿控制均正常"),
                                 (3, "白天可自行控制排尿次数，夜间出现排尿次数增多、排尿控制较差，或自行使用尿布、尿垫等辅助用物"),
                                 (2, "白天大部分时间可自行控制排尿，偶出现（每天<1次，但每周>1次）尿失禁，夜间控制排尿较差，或他人少量协助使用尿布、尿垫等辅助用物"),
                                 (1, "白天大部分时间不能控制排尿（每天≥1次，但尚非完全失控），夜间出现尿失禁，或他人大量协助使用尿布、尿垫等辅助用物"),
                                 (0, "小便失禁，完全不能控制排尿，或留置导尿管"))),
        Item("B.1.7", "大便控制", ((4, "可正常自行控制大便排出"),
                                 (3, "有时出现（每周<1次）便秘或大便失禁，或自行使用开塞露、尿垫等辅助用物"),
                                 (2, "经常出现（每天<1次，但每周>1次）便秘或大便失禁，或他人少量协助使用开塞露、尿垫等辅助用物"),
                                 (1, "大部分时间均出现（每天≥1次）便秘或大便失禁，但尚非完全失控，或他人大量协助使用开塞露、尿垫等辅助用物"),
                                 (0, "严重便秘或者完全大便失禁，需要依赖他人协助排便或清洁皮肤"))),
        Item("B.1.8", "如厕（含脱裤、清洁、穿裤）", HELP5),
    )),
    Dimension("B.2", "motor", "基础运动能力", (
        Item("B.2.1", "床上体位转移", HELP5),
        Item("B.2.2", "床椅转移", HELP5),
        Item("B.2.3", "平地行走", ((4, "可独立在平地上行走50m左右，且无摔倒风险"),
                                 (3, "能在平地上行走50m左右，存在摔倒风险，需要他人监护或指导，或使用拐杖、助行器等辅助工具"),
                                 (2, "在步行时需要他人少量扶持协助"),
                                 (1, "在步行时需要他人大量扶持协助"),
                                 (0, "完全不能步行"))),
        Item("B.2.4", "上下楼梯", ((3, "可独立上下楼梯（连续上下10～15个台阶），不需要协助"),
                                 (2, "在他人指导或提示下完成"),
                                 (1, "需要他人协助，但以自身完成为主"),
                                 (0, "主要依靠他人协助，自身能给予配合；或者完全依赖他人"))),
    )),
    Dimension("B.3", "mental", "精神状态", (
        Item("B.3.1", "时间定向", ((4, "时间观念（年、月）清楚，日期（或星期几）可相差一天"),
                                 (3, "时间观念有些下降，年、月、日（或星期几）不能全部分清（相差两天或以上）"),
                                 (2, "时间观念较差，年、月、日不清楚，可知上半年或下半年或季节"),
                                 (1, "时间观念很差，年、月、日不清楚，可知上午、下午或白天、夜间"),
                                 (0, "无时间观念"))),
        Item("B.3.2", "空间定向", ((4, "能在日常生活范围内单独外出，如在日常居住小区内独自外出购物等"),
                                 (3, "不能单独外出，但能准确知道自己日常生活所在地的地址信息"),
                                 (2, "不能单独外出，但知道较多有关自己日常生活的地址信息"),
                                 (1, "不能单独外出，但知道较少自己居住或生活所在地的地址信息"),
                                 (0, "不能单独外出，无空间观念"))),
        Item("B.3.3", "人物定向", ((4, "认识长期共同一起生活的人，能称呼并知道关系"),
                                 (3, "能认识大部分共同生活居住的人，能称呼或知道关系"),
                                 (2, "能认识部分日常同住的亲人或照护者等，能称呼或知道关系等"),
                                 (1, "只认识自己或极少数日常同住的亲人或照护者等"),
                                 (0, "不认识任何人（包括自己）"))),
        Item("B.3.4", "记忆", ((4, "总是能保持与社会、年龄所适应的记忆能力，能完整地回忆"),
                             (3, "出现轻度的记忆紊乱或回忆不能（不能回忆即时信息，3个词语经过5分钟后仅能回忆0～1个）"),
                             (2, "出现中度的记忆紊乱或回忆不能（不能回忆近期记忆，不记得上一顿饭吃了什么）"),
                             (1, "出现重度的记忆紊乱或回忆不能（不能回忆远期记忆，不记得自己的老朋友）"),
                             (0, "记忆完全紊乱或者完全不能对既往事物进行正确的回忆"))),
        Item("B.3.5", "理解能力", ((4, "能正常理解他人的话"), (3, "能理解他人的话，但需要增加时间"),
                                 (2, "理解有困难，需频繁重复或简化口头表达"), (1, "理解有严重困难，需要大量他人帮助"),
                                 (0, "完全不能理解他人的话"))),
        Item("B.3.6", "表达能力", ((4, "能正常表达自己的想法"), (3, "能表达自己的需要，但需要增加时间"),
                                 (2, "表达需要有困难，需频繁重复或简化口头表达"), (1, "表达有严重困难，需要大量他人帮助"),
                                 (0, "完全不能表达需要"))),
        Item("B.3.7", "攻击行为（身体攻击或语言攻击）", ((1, "未出现"), (0, "近一个月内出现过攻击行为"))),
        Item("B.3.8", "抑郁症状", ((1, "未出现"), (0, "近一个月内出现过负性情绪"))),
        Item("B.3.9", "意识水平", ((2, "神志清醒，对周围环境能做出正确反应"),
                                 (1, "嗜睡或意识模糊，可唤醒"),
                                 (0, "昏睡或昏迷"))),
    )),
    Dimension("B.4", "perception", "感知觉与社会参与", (
        Item("B.4.1", "视力（佩戴常用眼镜）", ((2, "视力正常"),
                                         (1, "能看清楚大字体，但看不清书报上的标准字体；视力有限，看不清报纸大标题，但能辨认物体"),
                                         (0, "只能看到光、颜色和形状；完全失明"))),
        Item("B.4.2", "听力（佩戴常用助听设备）", ((2, "听力正常"),
                                           (1, "在轻声说话或说话距离超过2米时听不清；正常交流有些困难，需在安静的环境或大声说话才能听到"),
                                           (0, "讲话者大声说话或说话很慢，才能部分听见；完全失聪"))),
        Item("B.4.3", "执行日常事务（洗衣、购物、服药等）", ((4, "能完全独立计划、安排和完成日常事务，无需协助"),
                                                   (3, "在计划、安排和完成日常事务时需要他人监护或指导"),
                                                   (2, "在计划、安排和完成日常事务时需要少量协助"),
                                                   (1, "在计划、安排和完成日常事务时需要大量协助"),
                                                   (0, "完全依赖他人进行日常事务"))),
        Item("B.4.4", "使用交通工具外出", ((3, "能自己骑车或搭乘公共交通工具外出"),
                                       (2, "能自己搭乘出租车，但不会搭乘其他公共交通工具外出"),
                                       (1, "当有人协助或陪伴，可搭乘公共交通工具外出"),
                                       (0, "只能在他人协助下搭乘出租车或私家车外出；完全不能出门，或者外出完全需要协助"))),
        Item("B.4.5", "社会交往能力", ((4, "参与社会，在社会环境有一定的适应能力，待人接物恰当"),
                                     (3, "能适应单纯环境，主动接触他人，初见面时难让人发现智力问题，不能理解隐喻语"),
                                     (2, "脱离社会，可被动接触，不会主动待人，谈话中很多不适词句，容易上当受骗"),
                                     (1, "勉强可与他人接触，谈吐内容不清楚，表情不恰当"),
                                     (0, "不能与人交往"))),
    )),
)

ITEMS: tuple[Item, ...] = tuple(i for d in DIMENSIONS for i in d.items)
ITEM_BY_CODE: dict[str, Item] = {i.code: i for i in ITEMS}
MAX_TOTAL = sum(d.max for d in DIMENSIONS)

LEVELS: tuple[tuple[int, str, int, int], ...] = (  # (level, name, min total, max total)
    (0, "能力完好", 90, 90),
    (1, "能力轻度受损（轻度失能）", 66, 89),
    (2, "能力中度受损（中度失能）", 46, 65),
    (3, "能力重度受损（重度失能）", 30, 45),
    (4, "能力完全丧失（完全失能）", 0, 29),
)
LEVEL_NAMES = {lv: name for lv, name, _, _ in LEVELS}
LEVEL_SHORT = {0: "能力完好", 1: "轻度失能", 2: "中度失能", 3: "重度失能", 4: "完全失能"}

RISK_EVENTS: tuple[tuple[str, str], ...] = (("fall", "跌倒"), ("wandering", "走失"), ("choking", "噎食"),
                                            ("self_harm", "自杀、自伤"), ("other", "其他"))
RISK_OPTIONS = ((0, "无"), (1, "发生过一次"), (2, "发生过两次"), (3, "发生过三次及以上"))


@dataclass(frozen=True)
class Config:
    coma_level: int = 4  # C.4 says 完全失能; the B.3.9 note says 重度失能 (3): configurable
    stack: bool = False  # do the dementia and the care-risk rules add up to +2?
    risk_threshold: int = 2  # care-risk events in 30 days that raise the level


@dataclass(frozen=True)
class Conditions:
    """The Appendix A inputs C.4 reads: A.5.11 coma, A.4.1 diagnoses, A.2.14 care-risk events."""

    coma: bool = False
    dementia: bool = False  # 痴呆 F00–F03
    psychiatric: bool = False  # other 精神和行为障碍 F04–F99, diagnosed by a psychiatric specialist
    risk_events: dict[str, int] = field(default_factory=dict)  # key → 0..3 (3 = three or more)

    @property
    def risk_count(self) -> int:
        return sum(min(3, max(0, int(v))) for v in self.risk_events.values())


@dataclass(frozen=True)
class Result:
    scores: dict[str, int]  # first-level: self_care, motor, mental, perception
    total: int
    preliminary_level: int
    level: int
    reasons: tuple[str, ...]

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]


class AnswerError(ValueError):
    """Answers that do not fit the instrument; ``errors`` maps item code → Chinese message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(f"{k}：{v}" for k, v in errors.items()))


def validate(answers: dict[str, int], *, partial: bool = False) -> dict[str, str]:
    """Item code → message for every unknown item, bad score, or (unless ``partial``) missing item."""
    errors: dict[str, str] = {}
    for code, value in answers.items():
        item = ITEM_BY_CODE.get(code)
        if item is None:
            errors[code] = "不是 GB/T 42195-2022 的评估项目"
        elif isinstance(value, bool) or not isinstance(value, int) or value not in item.scores:
            allowed = "、".join(str(s) for s in sorted(item.scores))
            errors[code] = f"{item.name}的得分应为 {allowed} 之一"
    if not partial:
        for item in ITEMS:
            if item.code not in answers:
                errors[item.code] = f"{item.name}尚未评估"
    return errors


def preliminary_level(total: int) -> int:
    if not 0 <= total <= MAX_TOTAL:
        raise ValueError(f"total {total} out of 0..{MAX_TOTAL}")
    for lv, _, lo, hi in LEVELS:
        if lo <= total <= hi:
            return lv
    raise AssertionError("levels cover 0..90")


def score(answers: dict[str, int], conditions: Conditions | None = None, config: Config | None = None) -> Result:
    errors = validate(answers)
    if errors:
        raise AnswerError(errors)
    cond = conditions or Conditions()
    cfg = config or Config()
    scores = {d.key: sum(answers[i.code] for i in d.items) for d in DIMENSIONS}
    total = sum(scores.values())
    pre = preliminary_level(total)
    level, reasons = pre, []
    if cond.coma:
        level = cfg.coma_level
        reasons.append(f"处于昏迷状态，直接评定为{LEVEL_SHORT[level]}（C.4）")
    else:
        steps = []
        if cond.dementia or cond.psychiatric:
            steps.append("确诊痴呆（F00—F03）" if cond.dementia else "经精神科专科医生诊断的精神和行为障碍（F04—F99）")
        if cond.risk_count >= cfg.risk_threshold:
            steps.append(f"近30天内发生照护风险事件{cond.risk_count}次（跌倒、走失、噎食、自杀自伤等）")
        if steps:
            raised = min(4, pre + (len(steps) if cfg.stack else 1))
            if raised > pre:
                level = raised
                reasons.append(f"{'；'.join(steps)}，在原有能力级别上提高{raised - pre}个级别（C.4）")
            else:
                reasons.append(f"{'；'.join(steps)}；已为完全失能，不再提高")
    return Result(scores, total, pre, level, tuple(reasons))
