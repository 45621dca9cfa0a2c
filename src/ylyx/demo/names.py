"""Word lists for fictitious names: people, towns, villages, roads and institutions.

Names are plausible, not real: the towns and villages they label are synthetic (``is_synthetic``).
"""

from __future__ import annotations

import numpy as np

# Common surnames with rough frequency weights (north China).
SURNAMES = (
    "王李张刘杨赵陈郭高孙马胡吴周徐朱贾石郝韩何冯田曹董袁邓许傅沈曾彭吕苏卢蒋蔡丁魏薛叶阎余潘杜戴夏钟汪"
    "任姜范方金崔程谭廖邹熊陆郑孟白秦史侯邵康万段钱汤尹黎易常武乔贺赖龚文庞樊兰殷施陶洪翟安颜倪严牛温芦"
)
# Zipf-like weights: the first surnames are by far the most common.
SURNAME_WEIGHTS = 1.0 / (np.arange(len(SURNAMES)) + 3.0) ** 1.1

ELDER_MALE = ("建国 国华 志明 玉林 福贵 振华 德胜 宝山 永刚 树林 金山 长生 文斌 有才 占奎 俊杰 国庆 保国 秉义 世昌 "
              "满仓 双喜 忠 军 明 海 春生 万福 秀峰 培元 守仁 继光 庆丰 新民 学文 凤山 登科 天宝 三虎 来喜 成林 "
              "兴旺 志刚 连生 德全 广义 锁柱 存福 润田").split()
ELDER_FEMALE = ("秀英 桂兰 玉兰 淑珍 凤英 桂芝 秀兰 玉珍 翠花 桂英 春花 淑英 玉梅 凤兰 秀珍 桂珍 兰英 玉芳 素珍 "
                "金凤 改莲 桂花 美兰 淑兰 秀梅 翠英 玉英 月英 二女 粉莲 巧云 俊英 秀云 凤琴 素英 桂香 存女 兰芳 "
                "玉琴 春梅 冬梅 秀芳 丽华 桂琴 明珠 玉霞 凤霞 彩霞 凤莲").split()
ADULT_MALE = ("建军 海军 志强 永强 晓东 伟 磊 勇 军 涛 斌 鹏 强 刚 亮 波 浩 俊峰 海涛 志勇 建华 晓明 利军 鹏飞 "
              "宏伟 学军 振宇 文博 瑞 宇 凯 鑫 超 旭东 文军 金龙 雪峰").split()
ADULT_FEMALE = ("丽娟 海燕 晓燕 丽 敏 静 芳 艳 娟 霞 燕 红 玲 婷 慧 琳 雪 蕾 丹 秀丽 春燕 红梅 晓丽 丽华 美玲 "
                "淑芬 海霞 晓红 文静 婷婷 佳 欣 悦 瑞雪 艳芳 瑞霞 亚楠").split()
CHILD_MALE = ("子涵 浩宇 宇轩 梓轩 一诺 俊熙 子墨 睿 宸 浩然 奕辰 思源 博文 铭泽 锦程 天佑 子轩 明轩 嘉懿 昊然 "
              "沐阳 安 铭 瑾瑜 承泽 宇航 皓轩 泽宇 俊驰 梓豪 一鸣 乐天").split()
CHILD_FEMALE = ("梓萱 一诺 欣怡 子涵 若汐 诗涵 雨桐 可馨 梓涵 语嫣 思琪 佳怡 紫涵 依诺 安然 沐晨 心怡 语桐 "
                "芊芊 梦琪 雨萱 婉清 若曦 悦 可欣 艺涵 馨予 静怡 诗琪 嘉怡 晨曦").split()
# Mongolian personal names are used without a Han surname.
MONGOL_MALE = "巴特尔 额尔敦 乌力吉 苏和 朝鲁 宝音 孟和 巴雅尔 那顺 图门 阿拉坦 毕力格 吉日嘎拉 特木尔 达来 哈斯".split()
MONGOL_FEMALE = "斯琴 其其格 乌云 萨仁 高娃 托娅 娜仁 琪琪格 塔娜 乌兰 其木格 萨日娜 阿茹娜 苏日娜 图雅 诺敏".split()

STREET_WORDS = "新华 解放 车站 铁南 团结 北环 西环 东环 汇丰 曙光 城关 先锋 胜利 友谊 新城 金川 光明 长青 建设 和平".split()
TOWN_WORDS = ("隆胜 丰裕 兴盛 永丰 复兴 长胜 民丰 富源 双河 新安 联丰 宏丰 义和 福兴 万和 德兴 广丰 同和 利民 "
              "太平 三合 红旗 大有 合义 东升 公和 西山 新公 南渠 北渠 沙海 西园 东来 永胜 丰泽 瑞丰 厚和 增光").split()
SUMU_WORDS = ("巴音 乌兰 宝日 呼和 乌力吉 阿拉腾 查干 赛乌素 哈拉图 额尔登 那仁 新忽热 川井 温更 巴音温都尔 "
              "获各琦 宝音图 潮格 图克 乌兰哈达 巴彦花 德日苏").split()
COMMUNITY_WORDS = ("团结 民主 和平 新华 建设 幸福 光明 东风 朝阳 锦绣 金川 惠民 福苑 盛世 祥和 康乐 阳光 丽景 "
                   "春晖 绿苑 河畔 新城 鸿雁 景泰 安居 书香 翠园 广场 富民 欣苑 怡和 长安 永安 兴安 庆丰 兴华").split()
VILLAGE_WORDS = ("红星 丰收 永胜 联合 新光 胜丰 建国 先进 东升 前进 民主 红光 五星 新民 富强 长丰 治丰 双星 "
                 "丰产 同心 向阳 新立 团结 黎明 和胜 光荣 跃进 友好 新生 胜利 金星 合作 兴隆 裕丰 新丰 东风 "
                 "西红 南星 北丰 永丰 复兴 利民 安乐 建丰 太阳 新义 三合 四支 八一 丰华").split()
GACHA_WORDS = ("巴音 乌兰 查干 哈拉图 宝日 呼和 阿拉腾 那仁 乌力吉 赛罕 沙布 额尔登 图古日格 呼格吉勒 好力宝 "
               "巴彦 锡林 乌素 朝鲁 阿日 宝力格 敖包 温都尔 胡日查").split()
ROADS = ("胜利路 新华街 解放街 团结路 五一街 永济路 汇丰街 金川大道 朔方路 光明街 建设路 北环路 利民街 "
         "长春路 黄河街 河套大街 临狼路 乌兰布和街 民族路 友谊路 工农路 治丰路").split()
BRANDS = ("福寿 康乐 颐和 安康 夕阳红 温馨 爱心 康宁 慈恩 松鹤 馨安 仁和 乐龄 恒爱 悦康 延寿 金色 慈孝 "
          "百福 长寿").split()
CHILD_BRANDS = ("小橙 启智 童心 贝乐 禾苗 阳光宝贝 萌芽 小星星 金色童年 爱尚 小脚丫 七色花 乐童 小天使 "
                "育苗 童乐 蓓蕾 好孩子 宝贝家 小树苗").split()


def pick_names(rng: np.random.Generator, male: np.ndarray, male_given: list[str], female_given: list[str],
               mongol_share: float = 0.05, rng_mask: bool = False):
    """Full names for people with the given sexes; a small share get Mongolian names (no surname).

    With ``rng_mask`` also returns the boolean mask of Mongolian names.
    """
    n = len(male)
    weights = SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum()
    surnames = np.array(list(SURNAMES))[rng.choice(len(SURNAMES), size=n, p=weights)]
    mg = np.array(male_given, dtype=object)[rng.integers(0, len(male_given), n)]
    fg = np.array(female_given, dtype=object)[rng.integers(0, len(female_given), n)]
    han = surnames.astype(object) + np.where(male, mg, fg)
    mm = np.array(MONGOL_MALE, dtype=object)[rng.integers(0, len(MONGOL_MALE), n)]
    mf = np.array(MONGOL_FEMALE, dtype=object)[rng.integers(0, len(MONGOL_FEMALE), n)]
    mongol = np.where(male, mm, mf)
    is_mongol = rng.random(n) < mongol_share
    full = np.where(is_mongol, mongol, han)
    return (full, is_mongol) if rng_mask else full


def unique_words(rng: np.random.Generator, words: list[str], k: int) -> list[str]:
    """k distinct labels from ``words``; beyond the list, numbered variants (东/西/南/北, 一/二…)."""
    order = list(rng.permutation(len(words)))
    out = [words[i] for i in order[:k]]
    extra = ["东", "西", "南", "北", "新", "中"]
    i = 0
    while len(out) < k:
        cand = extra[i % len(extra)] + words[order[i % len(words)]]
        if cand not in out:
            out.append(cand)
        i += 1
    return out
