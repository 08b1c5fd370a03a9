"""The fixed names that lexicons, keys, the registry and the file readers accept: plain constants
without imports, so that the CLI offers them as choices, and tells a caption or media file from a
script, without loading the modules that use them."""

SEVERITIES = ("low", "medium", "high")
ROLES = ("regulator", "platform", "anchor")  # people's keys: a route open to any key admits these
WORKER_ROLE = "worker"  # a `qinglang worker` process: only the work it holds (issue 15)
KEY_ROLES = (*ROLES, WORKER_ROLE)  # every role a key may have (api_keys.role)
CERTIFICATION_TYPES = (
    "organic",  # 有机产品认证
    "green_food",  # 绿色食品
    "geographical_indication",  # 地理标志（产品/证明商标）
    "pollution_free",  # 无公害农产品
    "food_production_license",  # SC 食品生产许可
    "special_cosmetics",  # 特殊化妆品注册证
    "health_food",  # 保健食品注册/备案（蓝帽子）
    "nutrition_claim",  # 营养成分表：零糖、零脂、零卡的依据
    "no_additive_claim",  # 配料表与检验报告：零添加、无防腐剂、无色素的依据
    "non_gmo",  # 非转基因原料证明或检测报告
    "import_declaration",  # 进口报关单/入境检验检疫证明：原装进口的依据
    "process_claim",  # 工艺记录：古法酿造、纯粮酿造、纯手工的依据
    "composition_label",  # 成分标签/吊牌：纯棉等成分声称的依据
    "time_honored_brand",  # 中华老字号认定
)

CAPTION_SUFFIXES = frozenset({".srt", ".vtt", ".ass", ".ssa", ".jsonl"})
MEDIA_MAX_SECONDS = 4 * 3600  # the longest recording read unless set (QINGLANG_MEDIA_MAX_SECONDS)
MEDIA_SUFFIXES = frozenset(
    [
        ".mp3",
        ".wav",
        ".m4a",
        ".aac",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".wma",
        ".amr",
        ".mp4",
        ".m4v",
        ".mkv",
        ".webm",
        ".flv",
        ".ts",
        ".mov",
        ".avi",
        ".3gp",
        ".mpg",
        ".mpeg",
    ]
)
