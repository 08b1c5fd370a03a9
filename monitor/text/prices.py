"""Prices said in a sentence, as numbers: "原价一百九十八 今天三十九块九" -> [198, 39.9].

A reference price (原价, 专柜价, 外面卖) is lawful when true; what a sentence can show is an
implausible gap between the prices it names. Chinese numerals are read by cn2an (a well-kept
converter; spoken forms such as 三十九块九 are completed here). Pure.
"""

from __future__ import annotations

import re
import warnings

_UNITS = (
    "盒|瓶|斤|箱|件|套|支|袋|罐|桶|个|粒|片|包|条|次|天|号|折|人|单|份|年|月|克|毫升|岁|周|分钟|秒"
)
_PRICE = re.compile(
    r"(?:(?<=价)|(?<=jia)|(?<=卖)|(?<=要)|(?<=才)|(?<=到手)|(?<=花)|(?<=售)|(?<=今天)|(?<=直接)|(?<=到)|(?<=是)"
    r"|(?<=现在)|(?<=直播间)|(?<=我们)|(?<=只)|(?<=仅)|(?<=相当于)|(?<=写的)|(?<=印的))"
    r"(?:是|只要|才|就)?(?P<n>\d+(?:\.\d+)?)(?P<jiao>块\d|元\d)?(?!\d|\.|" + _UNITS + ")"
    r"|(?P<m>\d+(?:\.\d+)?)(?:(?P<jiao2>[块元]\d)|(?=块|元|米|大洋|每))"
)
_UNIT_PRICE = re.compile(r"一(?=盒|瓶|斤|箱|件|套|支|袋|罐|桶|个)")
# Where one number ends and the next begins in speech without pauses: "39一折" is 39 and 一折, not
# 391; "三十九九块九" is 三十九 and 九块九, "一百二十九一模一样" is 129 and 一模一样 (a numeral
# ending in 十 and a digit cannot take another digit).
_RUN_ON = re.compile(
    r"(?<=\d)(?=[一二两三四五六七八九十])|(?<=十[一二三四五六七八九])(?=[一二两三四五六七八九])"
)


def prices_in(text: str) -> list[float]:
    """The prices named in `text`: numbers after a price word (价, 卖, 只要, 到手) or before a
    currency word (块, 元, 米) or a unit price (一盒, 一斤)."""
    import cn2an  # imported on first use (start-up time)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cn2an warns on numerals it leaves as they are
        try:
            arabic = cn2an.transform(_RUN_ON.sub(" ", _UNIT_PRICE.sub("每", text)), "cn2an")
        except Exception:
            return []
    found = []
    for m in _PRICE.finditer(arabic):
        number, jiao = (
            (m.group("n"), m.group("jiao")) if m.group("n") else (m.group("m"), m.group("jiao2"))
        )
        value = float(number)
        if jiao and "." not in number:
            value += int(jiao[-1]) / 10  # 三十九块九 = 39.9
        if value > 0:
            found.append(value)
    return found


def largest_gap(text: str) -> float:
    """The ratio of the highest price to the lowest in `text` (1.0 with fewer than two)."""
    prices = prices_in(text)
    return max(prices) / min(prices) if len(prices) >= 2 else 1.0
