"""The `qinglang` command: a thin skin over the library that adds files, flags and exit codes.

Exit codes (docs/architecture.md): 0 every verdict is pass, 1 any review or block, 2 bad input or usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.asr import asr_options
from monitor.cli.batch import read_batch, run_batch
from monitor.cli.group import (
    CONTEXT,
    EXIT_FLAGGED,
    EXIT_PASS,
    QinglangGroup,
    _clear_errors,
    _fail,
    chinese_help_options,
)
from monitor.cli.inputs import (
    _checker,
    known_product_classes,
    known_profiles,
    lexicon_files,
    lexicon_option,
    valid_product_class,
    valid_profile,
)
from monitor.cli.lexicon import lexicon_group
from monitor.cli.record import RecordTarget, record_options
from monitor.cli.serve import COMMANDS as SERVE_COMMANDS
from monitor.cli.speech import (
    check_timed_source,
    is_timed_source,
    print_timed_report,
    read_timed_source,
    transcribe_command,
    watch_command,
)
from monitor.cli.store import COMMANDS as STORE_COMMANDS
from monitor.cli.worker import worker_command
from monitor.sources.text_input import check_readable, read_script, read_stream

if TYPE_CHECKING:
    from monitor.checking.checker import Checker


@click.group(cls=QinglangGroup, context_settings=CONTEXT)
@click.version_option(package_name="qinglang", help="显示版本并退出 / show the version and exit.")
def main() -> None:
    """清朗 qinglang — 直播带货违规话术检测 / livestream compliance checker."""


_color_option = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    help="高亮命中：auto 在终端时 / highlight hits: auto (on a terminal), always, never.",
)


@main.command("check", short_help="检查话术、字幕或录音 / check a script, captions or a recording.")
@click.argument("source", required=False)
@click.option(
    "--json", "as_json", is_flag=True, help="以 JSON 输出检查报告 / print the check report as JSON."
)
@click.option(
    "--batch",
    type=click.Path(dir_okay=False),
    help='批量检查：每行一个 {"id", "text"} 的 JSONL 文件 / '
    'a JSONL file of {"id", "text"} lines, one report line each.',
)
@click.option(
    "--profile",
    help="词库配置（见 `qinglang lexicon profiles`）/ lexicon profile (see `qinglang lexicon profiles`).",
)
@click.option(
    "--product-class",
    help="商品类别，如 food、cosmetics、drug / product class of the goods, e.g. food, cosmetics, drug.",
)
@_color_option
@click.option(
    "--no-classifier",
    is_flag=True,
    help="只用词库，不用虚假宣传模型（更快）/ lexicon only: skip the 虚假宣传 classifier (faster).",
)
@lexicon_option
@asr_options
@record_options
@_clear_errors
def check_command(
    source, as_json, batch, profile, product_class, color, no_classifier, extra,
    db_path, anchor, stream, product, **asr,
) -> None:  # fmt: skip
    """检查话术文件 FILE（.txt、.md、.docx；UTF-8 或 GB18030）或标准输入（-）。

    \b
    字幕（.srt、.vtt、.ass、.jsonl 字幕行）和音视频文件（.mp3、.wav、.mp4 …）的命中带直播时间。
    退出码：0 全部通过，1 有待审或拦截，2 输入或用法有误。

    Check a script FILE (.txt, .md, .docx; UTF-8 or GB18030) or - for standard input;
    captions (.srt, .vtt, .ass, .jsonl caption lines) or an audio/video file (.mp3, .wav, .mp4 …),
    whose hits carry their time in the stream. Exit 0: all pass, 1: any review or block,
    2: bad input or usage."""
    if (source is None) == (batch is None):
        _fail(
            "请给出 FILE、-（标准输入）或 --batch FILE.jsonl 中的一个 / "
            "give exactly one of FILE, - (stdin) or --batch FILE.jsonl"
        )
    if (batch or source) != "-":
        check_readable(batch or source)  # before the settings and the library load
    from monitor.settings import Settings

    settings = Settings()
    extra_files = lexicon_files(extra, settings)
    profiles, classes = known_profiles(extra_files), known_product_classes()
    profile = valid_profile(profile or settings.profile, profiles)
    product_class = valid_product_class(product_class, classes)
    colour = color == "always" or (color == "auto" and sys.stdout.isatty())

    def checker() -> Checker:
        return _checker(extra_files, settings, classifier=not no_classifier)

    if batch:
        lines = read_batch(Path(batch), settings.max_text_bytes * 10)
        sys.exit(run_batch(checker, lines, profile, product_class, profiles, classes))
    target = RecordTarget.open(settings, db_path, anchor, stream, product, default_stream=source)
    facts, product_class = target.facts(product_class)
    if source != "-" and is_timed_source(source):
        read = read_timed_source(source, settings)
        timed, extra = check_timed_source(
            source, read, checker(), settings, profile, product_class, asr, facts=facts
        )
        target.record(timed.report, timed.timed.text, source, timed.timed.segments)
        print_timed_report(source, timed, extra, as_json, colour)
        sys.exit(EXIT_PASS if timed.report.verdict == "pass" else EXIT_FLAGGED)
    if source == "-":
        text, name = read_stream(sys.stdin.buffer, "stdin", settings.max_text_bytes), "stdin"
    else:
        text, name = read_script(source, settings.max_text_bytes, settings.docx_limits()), source
    report = checker().check(text, profile=profile, product_class=product_class, facts=facts)
    target.record(report, text, name)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        from monitor.cli.terminal_report import render_report

        click.echo(render_report(text, report, name, colour), nl=False)
    sys.exit(EXIT_PASS if report.verdict == "pass" else EXIT_FLAGGED)


@main.command("demo")
@_color_option
@_clear_errors
def demo(color) -> None:
    """检查内置的演示话术（杨梅直播）并打印报告 / check the bundled demo script (a 杨梅
    livestream) and print the report."""
    from importlib.resources import files

    from monitor.cli.terminal_report import render_report
    from monitor.settings import Settings

    settings = Settings()
    text = files("monitor").joinpath("demo", "script.txt").read_text(encoding="utf-8")
    report = _checker(lexicon_files((), settings), settings).check(text)
    colour = color == "always" or (color == "auto" and sys.stdout.isatty())
    click.echo(render_report(text, report, "demo/script.txt", colour), nl=False)


@main.command("train")
@click.option(
    "--corpus",
    type=click.Path(file_okay=False),
    help="语料文件夹（默认 models/data）/ corpus folder (default: models/data).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="模型写到哪里（默认 models/）/ where to write the artefact (default: models/).",
)
@click.option(
    "--extra",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    help="先加入语料的已审核标注片段（JSONL），可重复 / "
    "reviewed, labelled segments (JSONL) to add to the corpus first; repeatable.",
)
@_clear_errors
def train_command(corpus, out, extra) -> None:
    """由语料重新训练虚假宣传模型（结果确定）/ rebuild the 虚假宣传 classifier from its corpus,
    deterministically."""
    from monitor.checking.checker import Checker
    from monitor.data_files import data_dir
    from monitor.model.corpus import add_reviewed_examples, load_corpus
    from monitor.model.training import train  # scikit-learn: imported only for this command
    from monitor.settings import Settings

    models = Settings().model_folder() or data_dir("models")
    corpus_folder = Path(corpus) if corpus else models / "data"
    out_folder = Path(out) if out else models
    checker = Checker.from_files(use_classifier=False)
    categories = list(checker.lexicon.categories)
    for path in extra:
        added = add_reviewed_examples(Path(path), corpus_folder, categories)
        click.echo(
            f"{path}: added {added} new labelled segments to {corpus_folder / 'reviewed.jsonl'}"
        )
    examples = load_corpus(corpus_folder, categories)
    if len(examples) < 50:
        _fail(
            f"{corpus_folder}: 只有 {len(examples)} 条标注样本，至少需要 50 条 / "
            f"only {len(examples)} labelled examples; at least 50 are needed"
        )
    result = train(
        examples, categories, checker.normalize_term, out_folder, evidence=checker.claim_evidence
    )
    click.echo(f"corpus: {result.metadata['corpus']}")
    for name, score in result.cv_macro_f1.items():
        mark = "  <- chosen" if name == result.chosen else ""
        click.echo(f"cv macro-F1 {name:<34}{score:.3f}{mark}")
    test = result.test_report
    click.echo(
        f"test split: macro-F1 {test['macro_f1']:.3f}, micro-F1 {test['micro_f1']:.3f}, "
        f"violation P {test['violation']['precision']:.3f} R {test['violation']['recall']:.3f}"
    )
    click.echo(f"wrote {out_folder / 'claims_classifier.skops'} and claims_classifier.json")


main.add_command(lexicon_group)
main.add_command(transcribe_command)
main.add_command(watch_command)
main.add_command(worker_command)
for _command in (*STORE_COMMANDS, *SERVE_COMMANDS):
    main.add_command(_command)
chinese_help_options(main)

if __name__ == "__main__":
    main()
