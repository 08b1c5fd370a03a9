"""The `qinglang` command: a thin skin over the library that adds files, flags and exit codes.

Exit codes (DESIGN.md): 0 every verdict is pass, 1 any review or block, 2 bad input or usage.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from importlib.resources import files
from pathlib import Path

import click

from .checker import Checker
from .cli_record import RecordTarget, record_options
from .cli_serve import COMMANDS as SERVE_COMMANDS
from .cli_speech import (
    asr_options,
    check_timed_file,
    is_timed_source,
    print_timed_report,
    transcribe_command,
    watch_command,
)
from .cli_store import COMMANDS as STORE_COMMANDS
from .cli_support import EXIT_BAD_INPUT, EXIT_FLAGGED, EXIT_PASS, _checker, _clear_errors, _fail
from .corpus import add_reviewed_examples, load_corpus
from .data_files import data_dir
from .errors import QinglangError
from .lexicon import SEVERITIES, load_lexicon
from .profiles import find_profile
from .render import render_report
from .settings import Settings
from .text_input import check_size, read_script, read_stream


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qinglang")
def main() -> None:
    """清朗 qinglang — 直播带货违规话术检测 / livestream compliance checker."""


_lexicon_option = click.option(
    "--lexicon",
    "extra",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Extra lexicon file (terms, whitelist, profiles); repeatable.",
)


@main.command("check")
@click.argument("source", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the check report as JSON.")
@click.option(
    "--batch", type=click.Path(dir_okay=False), help='JSONL file of {"id", "text"} lines.'
)
@click.option("--profile", help="Lexicon profile (see `qinglang lexicon profiles`).")
@click.option("--product-class", help="Product class of the goods, e.g. food, cosmetics, drug.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto")
@click.option("--no-classifier", is_flag=True, help="Lexicon only: skip the 虚假宣传 classifier.")
@_lexicon_option
@asr_options
@record_options
@_clear_errors
def check_command(
    source, as_json, batch, profile, product_class, color, no_classifier, extra,
    db_path, anchor, stream, product, **asr,
) -> None:  # fmt: skip
    """Check a script FILE (.txt, .md, .docx; UTF-8 or GB18030) or - for standard input;
    captions (.srt, .vtt, .ass, .jsonl caption lines) or an audio/video file (.mp3, .wav, .mp4 …),
    whose hits carry their time in the stream."""
    settings = Settings()
    if (source is None) == (batch is None):
        _fail("give exactly one of FILE, - (stdin) or --batch FILE.jsonl")
    checker = _checker(extra, settings, classifier=not no_classifier)
    profile = profile or settings.profile
    find_profile(checker.profiles, profile)
    _check_product_class(checker, product_class)
    if batch:
        sys.exit(_run_batch(checker, Path(batch), profile, product_class, settings))
    target = RecordTarget.open(settings, db_path, anchor, stream, product, default_stream=source)
    facts, product_class = target.facts(product_class)
    if source != "-" and is_timed_source(source):
        timed, extra = check_timed_file(
            source, checker, settings, profile, product_class, asr, facts=facts
        )
        target.record(timed.report, timed.timed.text, source, timed.timed.segments)
        colour = color == "always" or (color == "auto" and sys.stdout.isatty())
        print_timed_report(source, timed, extra, as_json, colour)
        sys.exit(EXIT_PASS if timed.report.verdict == "pass" else EXIT_FLAGGED)
    if source == "-":
        text, name = read_stream(sys.stdin.buffer, "stdin", settings.max_text_bytes), "stdin"
    else:
        text, name = read_script(source, settings.max_text_bytes), source
    report = checker.check(text, profile=profile, product_class=product_class, facts=facts)
    target.record(report, text, name)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        colour = color == "always" or (color == "auto" and sys.stdout.isatty())
        click.echo(render_report(text, report, name, colour), nl=False)
    sys.exit(EXIT_PASS if report.verdict == "pass" else EXIT_FLAGGED)


def _check_product_class(checker: Checker, product_class: str | None) -> None:
    classes = checker.lexicon.product_classes
    if product_class is not None and product_class not in classes:
        _fail(f"unknown product class '{product_class}' (known: {', '.join(classes)})")


def _run_batch(
    checker: Checker, path: Path, profile: str, product_class: str | None, settings: Settings
) -> int:
    """One output line per input line; a bad line gets an error record and the exit code 2."""
    try:
        check_size(path.stat().st_size, str(path), settings.max_text_bytes * 10)
        handle = path.open(encoding="utf-8-sig")
    except FileNotFoundError:
        _fail(f"{path}: 文件不存在 / no such file")
    except UnicodeDecodeError:
        _fail(f"{path}: batch files must be UTF-8 JSON lines")
    flagged = bad = False
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                record, error = _batch_record(line, number)
                if error:
                    bad = True
                    click.echo(json.dumps(error, ensure_ascii=False))
                    continue
                try:
                    report = checker.check(
                        record["text"],
                        profile=record.get("profile") or profile,
                        product_class=record.get("product_class") or product_class,
                    )
                except QinglangError as exc:
                    bad = True
                    click.echo(
                        json.dumps({"id": record.get("id"), "line": number, "error": str(exc)})
                    )
                    continue
                flagged |= report.verdict != "pass"
                click.echo(
                    json.dumps({"id": record.get("id"), **report.to_dict()}, ensure_ascii=False)
                )
        except UnicodeDecodeError:
            _fail(f"{path}: batch files must be UTF-8 JSON lines")
    return EXIT_BAD_INPUT if bad else (EXIT_FLAGGED if flagged else EXIT_PASS)


def _batch_record(line: str, number: int) -> tuple[dict, dict | None]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return {}, {"id": None, "line": number, "error": f"invalid JSON: {exc.msg}"}
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        rid = record.get("id") if isinstance(record, dict) else None
        return {}, {
            "id": rid,
            "line": number,
            "error": 'each line needs {"id": ..., "text": "..."}',
        }
    return record, None


@main.group("lexicon")
def lexicon_group() -> None:
    """Inspect and validate lexicons."""


@lexicon_group.command("stats")
@_lexicon_option
@_clear_errors
def lexicon_stats(extra) -> None:
    """Entries by category and severity."""
    lexicon = load_lexicon([*Settings().extra_lexicon_files(), *extra])
    counts = Counter((e.category, e.severity) for e in lexicon.entries)
    header = (
        f"{'category':<24}{'名称':<14}" + "".join(f"{s:>8}" for s in SEVERITIES) + f"{'total':>8}"
    )
    click.echo(header)
    for cid, category in lexicon.categories.items():
        row = [counts[(cid, s)] for s in SEVERITIES]
        click.echo(
            f"{cid:<24}{category.zh:<14}" + "".join(f"{n:>8}" for n in row) + f"{sum(row):>8}"
        )
    totals = [sum(counts[(c, s)] for c in lexicon.categories) for s in SEVERITIES]
    click.echo(
        f"{'total':<24}{'合计':<14}" + "".join(f"{n:>8}" for n in totals) + f"{sum(totals):>8}"
    )
    languages = Counter(e.lang for e in lexicon.entries)
    click.echo(
        f"entries: {len(lexicon.entries)} (zh {languages['zh']}, en {languages['en']}); "
        f"whitelist phrases: {len(lexicon.whitelist)}; "
        f"with variants: {sum(1 for e in lexicon.entries if e.variants)}"
    )


@lexicon_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@_clear_errors
def lexicon_check(path) -> None:
    """Validate a user's lexicon FILE against the schema and the shipped lexicon."""
    if not Path(path).is_file():
        _fail(f"{path}: 文件不存在 / no such file")
    lexicon = load_lexicon([path])
    own = [e for e in lexicon.entries if e.source == Path(path).name]
    checker = Checker.from_files([path], use_classifier=False)
    click.echo(
        f"{path}: OK — {len(own)} entries, "
        f"{sum(1 for w in lexicon.whitelist if w.source == Path(path).name)} whitelist phrases, "
        f"profiles: {', '.join(sorted(checker.profiles))}"
    )


@lexicon_group.command("profiles")
@_lexicon_option
@_clear_errors
def lexicon_profiles(extra) -> None:
    """List the lexicon profiles."""
    checker = _checker(extra, Settings(), classifier=False)
    for name, profile in sorted(checker.profiles.items()):
        click.echo(f"{name:<20}{profile.description}")


@main.command("demo")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto")
@_clear_errors
def demo(color) -> None:
    """Check the bundled demo script (a 杨梅 livestream) and print the report."""
    text = files("monitor").joinpath("demo", "script.txt").read_text(encoding="utf-8")
    report = _checker((), Settings()).check(text)
    colour = color == "always" or (color == "auto" and sys.stdout.isatty())
    click.echo(render_report(text, report, "demo/script.txt", colour), nl=False)


@main.command("train")
@click.option(
    "--corpus", type=click.Path(file_okay=False), help="Corpus folder (default: models/data)."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Where to write the artefact (default: models/).",
)
@click.option(
    "--extra",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    help="Reviewed, labelled segments (JSONL) to add to the corpus first; repeatable.",
)
@_clear_errors
def train_command(corpus, out, extra) -> None:
    """Rebuild the 虚假宣传 classifier from its corpus, deterministically."""
    from .training import train  # scikit-learn: imported only for this command

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
        _fail(f"{corpus_folder}: only {len(examples)} labelled examples; at least 50 are needed")
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


main.add_command(transcribe_command)
main.add_command(watch_command)
for _command in (*STORE_COMMANDS, *SERVE_COMMANDS):
    main.add_command(_command)

if __name__ == "__main__":
    main()
