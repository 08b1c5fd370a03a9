"""Live-room text for the scale benchmark, written for it (never real transcripts): the lines of
a selling livestream, four in twenty making a claim the checker flags, cut into results the size
a live room posts: RESULT_SEGMENTS segments of SEGMENT_S seconds each, stream times running on.
"""

from __future__ import annotations

from collections.abc import Iterator

from monitor.sources.segments import Segment

SENTENCES = (
    "家人们晚上好，欢迎来到直播间。",
    "今天给大家带来的是这款山茶油，五百毫升一瓶。",
    "点左下角小黄车，三号链接就是它。",
    "这个油是我们自己的压榨厂出的，冷榨工艺。",
    "这是全网最低价，错过今天再也没有了。",
    "拍两瓶送一个小的旅行装。",
    "有问题的家人在评论区问客服。",
    "这个茶喝了能降血糖，三天见效。",
    "发货是顺丰包邮，四十八小时内发出。",
    "主播自己家里也一直在用这个。",
    "我们家的茶叶是国家特供的，领导都在喝。",
    "七天无理由退换，运费险也给大家买好了。",
    "好，我们来看下一款产品。",
    "这个杯子是双层的，保温十二个小时。",
    "颜色有白色和灰色两种，大家按喜欢的拍。",
    "加我微信私下转账还能再便宜二十。",
    "大家可以对比一下别家的价格。",
    "今天下单的家人明天就能收到。",
    "新来的家人点个关注，不迷路。",
    "谢谢大家的支持，我们明天同一时间见。",
)
SEGMENT_S = 4.0  # one sentence's speech
RESULT_SEGMENTS = 3  # segments per posted result: one live chunk (up to 15 s) of speech


def room_results(count: int, first: int = 0) -> Iterator[tuple[Segment, ...]]:
    """`count` consecutive results of one room, the sentences taken in turn from `first` on."""
    for result in range(count):
        numbers = range(result * RESULT_SEGMENTS, (result + 1) * RESULT_SEGMENTS)
        yield tuple(
            Segment(
                start=n * SEGMENT_S,
                end=n * SEGMENT_S + SEGMENT_S - 0.5,
                text=SENTENCES[(first + n) % len(SENTENCES)],
            )
            for n in numbers
        )
