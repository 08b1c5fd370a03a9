"""The 虚假宣传 classifier: safe loading, deterministic training, explained hits merged with the
lexicon's, and retraining with reviewers' labels."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import skops.io as sio
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from monitor import check
from monitor.data_files import data_dir
from monitor.errors import InputError
from monitor.model.classifier import ClaimClassifier, ModelError
from monitor.model.corpus import Example, add_reviewed_examples, load_corpus, read_examples
from monitor.model.training import ARTEFACT, METADATA, candidate_pipelines, train

MODELS = data_dir("models")


@pytest.fixture(scope="module")
def categories(checker) -> list[str]:
    return list(checker.lexicon.categories)


@pytest.mark.parametrize(
    "text",
    [
        "我邻居喝了三个月 现在降压药都停了",
        "用完脸上的斑全没了 真的一点都看不出来",
    ],
)
def test_violations_without_banned_words_are_found_by_the_model(text):
    report = check(text)
    assert any(h.source == "classifier" or h.reasons for h in report.hits), report.to_dict()


def test_a_model_hit_explains_itself_with_ngrams_law_and_rewording():
    text = "我妈喝了半年 腿脚也不疼了 关节也好了"
    hits = [h for h in check(text).hits if h.source == "classifier"]
    assert hits
    hit = hits[0]
    assert hit.basis[0].startswith("《") and hit.suggestion
    assert hit.reasons[0].detail and "关键片段" in hit.explanation
    # a model-only hit names the words of the claim it rests on, found in the utterance
    assert "依据的说法" in hit.explanation and "证据" in hit.reasons[0].detail
    assert text[hit.start : hit.end] in text and hit.end > hit.start
    assert hit.rule == f"model-{hit.category}"


def test_lexicon_and_model_on_the_same_claim_make_one_hit_with_both_reasons():
    hits = check("这是全网最低价").hits
    assert len(hits) == 1
    assert hits[0].source == "lexicon"
    assert any(r.source == "classifier" for r in hits[0].reasons)


def test_ordinary_speech_is_not_flagged_by_the_model():
    for text in [
        "家人们晚上好 欢迎来到直播间",
        "杨梅收到以后放冰箱冷藏 两天内吃完",
        "顺丰冷链 坏果包赔",
    ]:
        assert check(text).verdict == "pass", text


def test_the_shipped_artefact_loads_with_its_metadata():
    model = ClaimClassifier.load(MODELS)
    assert set(model.thresholds) == set(model.categories)
    assert model.metadata["corpus"]["examples"] >= 4000


def _copy_model(tmp_path: Path) -> Path:
    for name in (ARTEFACT, METADATA, "classifier.yaml"):
        shutil.copy(MODELS / name, tmp_path / name)
    return tmp_path


def test_the_fast_probabilities_equal_scikit_learns(checker):
    model = ClaimClassifier.load(MODELS)
    texts = [
        checker.normalize_term(t) for t in ["吃了血糖就下来了", "当天现摘 顺丰冷链", "加我私聊"]
    ]
    fast = [s.probabilities[c] for s in model.scores(texts) for c in model.categories]
    reference = model._model.predict_proba(texts).ravel().tolist()
    assert fast == pytest.approx(reference, abs=1e-9)


def test_an_artefact_made_by_another_scikit_learn_is_refused(tmp_path):
    folder = _copy_model(tmp_path)
    metadata = json.loads((folder / METADATA).read_text())
    metadata["sklearn_version"] = "0.1.0"
    (folder / METADATA).write_text(json.dumps(metadata))
    with pytest.raises(ModelError, match="qinglang train"):
        ClaimClassifier.load(folder)


def test_an_artefact_with_untrusted_types_is_refused(tmp_path):
    folder = _copy_model(tmp_path)
    sio.dump(Pipeline([("features", FunctionTransformer(print))]), folder / ARTEFACT)
    with pytest.raises(ModelError, match="not trusted"):
        ClaimClassifier.load(folder)


def test_a_missing_artefact_says_how_to_make_one(tmp_path):
    with pytest.raises(ModelError, match="qinglang train"):
        ClaimClassifier.load(tmp_path)


@pytest.fixture(scope="module")
def small_corpus(categories) -> list[Example]:
    examples = load_corpus(MODELS / "data", categories)
    return examples[:: max(1, len(examples) // 600)]


def test_training_twice_on_the_same_corpus_gives_the_same_predictions(
    tmp_path, small_corpus, categories, checker
):
    pipelines = {"char_tfidf_logreg": candidate_pipelines()["char_tfidf_logreg"]}
    first = train(small_corpus, categories, checker.normalize_term, tmp_path / "a", pipelines)
    second = train(small_corpus, categories, checker.normalize_term, tmp_path / "b", pipelines)
    assert first.metadata == second.metadata
    probe = [checker.normalize_term(t) for t in ["吃了血糖就下来了", "当天现摘", "加我私聊"]]
    a = ClaimClassifier.load(tmp_path / "a").scores(probe)
    b = ClaimClassifier.load(tmp_path / "b").scores(probe)
    assert a == b


def test_the_test_split_is_fixed_by_the_text_and_never_trained_on(small_corpus):
    test = [e for e in small_corpus if e.in_test_split]
    assert 0.1 < len(test) / len(small_corpus) < 0.3
    again = [Example(e.id, e.text, e.categories) for e in test]
    assert all(e.in_test_split for e in again)


def test_reviewed_segments_are_added_once(tmp_path, categories):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "base.jsonl").write_text(
        json.dumps({"id": "b1", "text": "当天现摘", "categories": []}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    reviewed = tmp_path / "reviewed.jsonl"
    rows = [
        {
            "id": "r1",
            "text": "吃了三天血压就稳了",
            "categories": ["medical_claims"],
            "violation": True,
        },
        {"id": "r2", "text": "当天现摘", "categories": []},
    ]
    reviewed.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8"
    )
    assert add_reviewed_examples(reviewed, corpus, categories) == 1
    assert add_reviewed_examples(reviewed, corpus, categories) == 0
    assert len(load_corpus(corpus, categories)) == 2


def test_a_badly_labelled_line_names_its_file_and_line(tmp_path, categories):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"text": "好", "categories": []}\n{"text": "x", "categories": ["made_up"]}\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"bad.jsonl:2: unknown categories"):
        read_examples(bad, categories)


def test_train_cli_with_extra_rebuilds_into_the_given_folder(tmp_path, small_corpus):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with (corpus / "part.jsonl").open("w", encoding="utf-8") as handle:
        for e in small_corpus:
            handle.write(
                json.dumps(
                    {"id": e.id, "text": e.text, "categories": list(e.categories)},
                    ensure_ascii=False,
                )
                + "\n"
            )
    extra = tmp_path / "reviewed.jsonl"
    extra.write_text(
        json.dumps(
            {"id": "x1", "text": "喝了一个月降压药都停了", "categories": ["medical_claims"]},
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    shutil.copy(MODELS / "classifier.yaml", tmp_path / "classifier.yaml")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli.main",
            "train",
            "--corpus",
            str(corpus),
            "--out",
            str(tmp_path),
            "--extra",
            str(extra),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "added 1 new labelled segments" in result.stdout
    assert "<- chosen" in result.stdout
    assert ClaimClassifier.load(tmp_path).metadata["corpus"]["examples"] == len(small_corpus) + 1
