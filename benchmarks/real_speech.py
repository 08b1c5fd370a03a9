"""How the checker behaves on real livestream speech: flag rate overall, per source, per category and
per rule, and a reproducible random sample of flags for a manual audit.

The real transcripts (public Douyin/Kuaishou/JD ASR output with an unclear licence) are never part
of this repository: this script reads them from a snapshot you point it at, extracts sentences into
a cache outside the repository, and commits nothing of their text. Audit labels are kept in
`benchmarks/real_speech_audit.tsv` as id + SHA-1 of the text + label only.

    python -m benchmarks.real_speech --source /path/to/snapshot.git      # extract once, then measure
    python -m benchmarks.real_speech                                      # measure from the cache
    python -m benchmarks.real_speech --sample 100 --seed 1 --show-sample  # print flags to audit
    python -m benchmarks.real_speech --baseline ~/.cache/.../run-before.json   # flags per rule, before/after

The snapshot is `loopback00/Morph-Resolution-Datasets-and-Methods` (a git directory or a checkout):
`lablewebsite/backend/wordLabel/xls/video_asr.json` gives the sentences (split on 。！？), and
`dataset/*/plm/*.tsv` the morph pairs (disguised sentence, plain sentence) used for the evasion
figure: of the pairs whose plain sentence is flagged, the share whose disguised one is flagged too.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ASR_PATH = "lablewebsite/backend/wordLabel/xls/video_asr.json"
MORPH_GLOB = re.compile(r"dataset/[^/]+/plm/[^/]+\.tsv$")
LABELS = Path(__file__).with_name("real_speech_audit.tsv")
AUDIT_VALUES = ("violation", "arguable", "ok")
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]*")


def cache_dir() -> Path:
    base = os.environ.get("QINGLANG_REAL_SPEECH_CACHE")
    return Path(base) if base else Path.home() / ".cache" / "qinglang" / "real-speech"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


# --- extraction ---------------------------------------------------------------------------------


def _read_snapshot(source: Path, path: str) -> bytes:
    if (source / path).is_file():
        return (source / path).read_bytes()
    return subprocess.run(
        ["git", f"--git-dir={source}", "show", f"HEAD:{path}"], check=True, capture_output=True
    ).stdout


def _snapshot_files(source: Path) -> list[str]:
    if (source / "dataset").is_dir():
        return [str(p.relative_to(source)) for p in (source / "dataset").rglob("*.tsv")]
    out = subprocess.run(
        ["git", f"--git-dir={source}", "ls-tree", "-r", "--name-only", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.splitlines() if MORPH_GLOB.search(line)]


def split_sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(paragraph) if s.strip(" 。！？!?")]


def extract(source: Path, cache: Path) -> tuple[int, int]:
    """Write sentences.jsonl and morphs.jsonl into `cache` from the snapshot at `source`."""
    cache.mkdir(parents=True, exist_ok=True)
    videos = json.loads(_read_snapshot(source, ASR_PATH))
    sentences = 0
    with (cache / "sentences.jsonl").open("w", encoding="utf-8") as out:
        for v, video in enumerate(videos):
            for s, text in enumerate(split_sentences(video.get("asr_result_para") or "")):
                row = {
                    "id": f"v{v:04d}.s{s:03d}",
                    "platform": video.get("plat_name", ""),
                    "text": text,
                    "sha1": sha1(text),
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                sentences += 1
    pairs = 0
    with (cache / "morphs.jsonl").open("w", encoding="utf-8") as out:
        for path in sorted(_snapshot_files(source)):
            try:
                lines = _read_snapshot(source, path).decode("utf-8").splitlines()
            except (OSError, subprocess.CalledProcessError):
                continue  # a snapshot lacks its largest files

            for n, line in enumerate(lines):
                morph, _, plain = line.partition("\t")
                if morph and plain and morph != plain:
                    row = {"id": f"{path.split('/')[1]}/{Path(path).stem}:{n}", "morph": morph}
                    out.write(json.dumps({**row, "plain": plain}, ensure_ascii=False) + "\n")
                    pairs += 1
    return sentences, pairs


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# --- measuring ----------------------------------------------------------------------------------


def _sources(report) -> set[str]:
    return {h.source for h in report.hits}


def measure(checker, sentences: list[dict]) -> dict:
    """Per sentence: flagged, verdict, sources, categories, rules (compact, JSON-ready)."""
    results = {}
    for row in sentences:
        report = checker.check(row["text"])
        if not report.hits:
            continue
        results[row["id"]] = {
            "verdict": report.verdict,
            "sources": sorted(_sources(report)),
            "categories": sorted({h.category for h in report.hits}),
            "rules": sorted({f"{h.rule}" + (f" {h.term}" if h.term else "") for h in report.hits}),
        }
    return results


def _pct(n: int, d: int) -> str:
    return f"{n:,} ({100 * n / d:.2f} %)" if d else "0"


def summarize(sentences: list[dict], flags: dict, top: int = 40) -> dict:
    total = len(sentences)
    by_source: Counter = Counter()
    by_category: Counter = Counter()
    by_rule: Counter = Counter()
    by_verdict: Counter = Counter()
    by_platform: Counter = Counter()
    platforms = Counter(row["platform"] for row in sentences)
    platform_of = {row["id"]: row["platform"] for row in sentences}
    for sid, flag in flags.items():
        by_verdict[flag["verdict"]] += 1
        by_platform[platform_of[sid]] += 1
        key = "+".join(flag["sources"])
        by_source[key] += 1
        by_category.update(flag["categories"])
        by_rule.update(flag["rules"])
    print(f"sentences: {total:,}   flagged: {_pct(len(flags), total)}")
    print("verdicts: " + ", ".join(f"{k} {_pct(v, total)}" for k, v in by_verdict.most_common()))
    print("by source (sentences flagged by exactly these detectors):")
    for key, n in by_source.most_common():
        print(f"  {key:<32} {_pct(n, total)}")
    print("by platform:")
    for key, n in platforms.most_common():
        print(f"  {key:<12} {_pct(by_platform[key], n)} of {n:,}")
    print("by category (sentences):")
    for key, n in by_category.most_common():
        print(f"  {key:<24} {_pct(n, total)}")
    print(f"top {top} rules (sentences):")
    for key, n in by_rule.most_common(top):
        print(f"  {n:>6,}  {key}")
    return {
        "sentences": total,
        "flagged": len(flags),
        "by_source": dict(by_source),
        "by_category": dict(by_category),
        "by_rule": dict(by_rule),
        "by_verdict": dict(by_verdict),
    }


def compare_rules(before: dict, after: dict, top: int = 40) -> None:
    print("flags per rule, before → after (largest changes):")
    rules = set(before["by_rule"]) | set(after["by_rule"])
    changes = sorted(
        rules, key=lambda r: -abs(before["by_rule"].get(r, 0) - after["by_rule"].get(r, 0))
    )
    for rule in changes[:top]:
        print(
            f"  {before['by_rule'].get(rule, 0):>6,} → {after['by_rule'].get(rule, 0):>6,}  {rule}"
        )
    b, a = before["flagged"], after["flagged"]
    print(f"flagged sentences: {b:,} → {a:,} of {after['sentences']:,}")


def read_audit(path: Path = LABELS) -> list[dict]:
    """The rows of the committed audit file (TSV with a header after # comments), validated."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        rows = list(
            csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        )
    for n, row in enumerate(rows, 1):
        if row.get("label") not in AUDIT_VALUES or not re.fullmatch(r"[0-9a-f]{40}", row["sha1"]):
            raise ValueError(
                f"{path}: row {n} ({row.get('id')}): label must be one of {AUDIT_VALUES} and sha1 "
                "40 hex digits"
            )
    return rows


def read_labels(path: Path = LABELS) -> dict[str, tuple[str, str, str]]:
    """id -> (sha1, label, round); a sentence audited in two rounds keeps its later label."""
    return {r["id"]: (r["sha1"], r["label"], r["round"]) for r in read_audit(path)}


def audit_rounds(rows: list[dict]) -> dict[str, Counter]:
    """Labels counted per audit round (each round is one seed-1 sample of that day's flags)."""
    rounds: dict[str, Counter] = {}
    for row in rows:
        rounds.setdefault(row["round"], Counter())[row["label"]] += 1
    return rounds


def audit_precision(
    sentences: list[dict], flags: dict, labels: dict, sample_ids: list[str]
) -> None:
    """Precision over the audited sample of this run's flags (labels must match the text's SHA-1)."""
    text_sha = {row["id"]: row["sha1"] for row in sentences}
    judged = Counter()
    unlabelled = 0
    for sid in sample_ids:
        label = labels.get(sid)
        if label is None or label[0] != text_sha[sid]:
            unlabelled += 1
            continue
        judged[label[1]] += 1
    n = sum(judged.values())
    if not n:
        print(f"audit: none of the {len(sample_ids)} sampled flags is labelled yet")
        return
    strict = judged["violation"] / n
    lenient = (judged["violation"] + judged["arguable"]) / n
    print(
        f"audit of {n} sampled flags ({unlabelled} unlabelled): violations {judged['violation']}, "
        f"arguable {judged['arguable']}, not violations {judged['ok']} → precision {strict:.2f} "
        f"(counting arguable: {lenient:.2f})"
    )


def morph_recall(checker, pairs: list[dict]) -> None:
    plain_flagged = [p for p in pairs if checker.check(p["plain"]).hits]
    both = [p for p in plain_flagged if checker.check(p["morph"]).hits]
    morph_flagged = sum(1 for p in pairs if checker.check(p["morph"]).hits)
    print(
        f"morph pairs: {len(pairs):,}; disguised flagged {_pct(morph_flagged, len(pairs))}; "
        f"plain flagged {_pct(len(plain_flagged), len(pairs))}; of those, disguised also flagged "
        f"{_pct(len(both), len(plain_flagged))}"
    )


def sample_flags(flags: dict, size: int, seed: int) -> list[str]:
    ids = sorted(flags)
    return sorted(random.Random(seed).sample(ids, min(size, len(ids))))


def write_sample(cache: Path, sentences: list[dict], flags: dict, ids: Iterable[str]) -> Path:
    """The sample to audit, with its text, in the cache (never in the repository)."""
    text = {row["id"]: row for row in sentences}
    path = cache / "audit_sample.tsv"
    with path.open("w", encoding="utf-8") as out:
        out.write("id\tsha1\tlabel\tcategories\trules\ttext\n")
        for sid in ids:
            flag = text[sid]
            out.write(
                f"{sid}\t{flag['sha1']}\t\t{','.join(flags[sid]['categories'])}\t"
                f"{'; '.join(flags[sid]['rules'])}\t{flag['text']}\n"
            )
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.real_speech", description=__doc__)
    parser.add_argument("--source", type=Path, help="snapshot (git directory or checkout)")
    parser.add_argument("--cache", type=Path, default=None, help="cache folder outside the repo")
    parser.add_argument("--sample", type=int, default=100, help="flags to sample for the audit")
    parser.add_argument("--seed", type=int, default=1, help="seed of the audit sample")
    parser.add_argument("--show-sample", action="store_true", help="print the sampled flags")
    parser.add_argument("--baseline", type=Path, help="an earlier run-*.json to compare with")
    parser.add_argument("--no-classifier", action="store_true", help="lexicon only")
    parser.add_argument("--no-morphs", action="store_true", help="skip the morph pairs")
    args = parser.parse_args(argv)
    cache = args.cache or cache_dir()
    if args.source:
        n, m = extract(args.source, cache)
        print(f"extracted {n:,} sentences and {m:,} morph pairs into {cache}")
    if not (cache / "sentences.jsonl").exists():
        print(
            f"no real-speech cache in {cache}: run once with --source PATH_TO_SNAPSHOT "
            "(a snapshot of loopback00/Morph-Resolution-Datasets-and-Methods)",
            file=sys.stderr,
        )
        return 2
    from monitor import Checker

    checker = Checker.from_files(use_classifier=not args.no_classifier)
    sentences = _read_jsonl(cache / "sentences.jsonl")
    started = time.perf_counter()
    flags = measure(checker, sentences)
    elapsed = time.perf_counter() - started
    print(f"checked {len(sentences):,} sentences in {elapsed:.1f} s")
    summary = summarize(sentences, flags)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_path = cache / f"run-{stamp}.json"
    run_path.write_text(json.dumps({**summary, "flags": flags}, ensure_ascii=False))
    print(f"run saved: {run_path}")
    if args.baseline:
        compare_rules(json.loads(args.baseline.read_text()), summary)
    ids = sample_flags(flags, args.sample, args.seed)
    path = write_sample(cache, sentences, flags, ids)
    print(f"audit sample of {len(ids)} flags (seed {args.seed}): {path}")
    audit_precision(sentences, flags, read_labels(), ids)
    for name, counts in audit_rounds(read_audit()).items():
        n = sum(counts.values())
        print(
            f"committed audit, round {name}: {n} flags, precision {counts['violation'] / n:.2f} "
            f"(counting arguable: {(counts['violation'] + counts['arguable']) / n:.2f})"
        )
    if args.show_sample:
        text = {row["id"]: row["text"] for row in sentences}
        for sid in ids:
            print(f"{sid}\t{','.join(flags[sid]['categories'])}\t{text[sid]}")
    if not args.no_morphs and (cache / "morphs.jsonl").exists():
        morph_recall(checker, _read_jsonl(cache / "morphs.jsonl"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
