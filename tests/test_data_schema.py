"""Data-file schemas: a pydantic error becomes one bilingual message per problem, naming the
file, the entry and the field."""

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import Field, StrictInt

from monitor.data_schema import DataModel, Text, field_name, validate


class _Item(DataModel):
    id: Text
    weight: Annotated[StrictInt, Field(ge=0)]
    kind: Literal["a", "b"] = "a"


class _File(DataModel):
    items: tuple[_Item, ...]


@pytest.mark.parametrize(
    "loc, name",
    [(("items", 2, "weight"), "items[2].weight"), (("limits", "x"), "limits.x"), ((), "")],
)
def test_a_location_reads_as_a_dotted_field_with_indices(loc, name):
    assert field_name(loc) == name


def test_every_problem_is_one_message_naming_file_entry_and_field():
    data = {"items": [{"id": "", "weight": -1, "kind": "c"}, {"weight": "2"}], "colour": 1}
    model, problems = validate(_File, data, "f.yaml")
    assert model is None
    assert problems == [
        "f.yaml: items[0].id: 不能为空 / 'items[0].id' must not be empty",
        "f.yaml: items[0].weight: 须不小于 0 / 'items[0].weight' must be at least 0, not -1",
        "f.yaml: items[0].kind: 须为 'a'、'b' 之一 / 'items[0].kind' must be one of 'a' or 'b', not 'c'",
        "f.yaml: items[1].id: 缺少此键 / missing key 'items[1].id'",
        "f.yaml: items[1].weight: 须为整数 / 'items[1].weight' must be a whole number, not '2'",
        "f.yaml: colour: 未知键 / unknown key 'colour'",
    ]


class _Sizes(DataModel):
    small: StrictInt
    large: StrictInt


class _Limits(DataModel):
    sizes: _Sizes


def test_the_keys_of_a_mapping_field_are_named_by_their_noun():
    data = {"sizes": {"small": 1, "huge": 3}}
    _, problems = validate(_Limits, data, "f.yaml", nouns={"sizes": ("尺寸", "size")})
    assert problems == [
        "f.yaml: sizes: 缺少尺寸 'large' / missing size 'large'",
        "f.yaml: sizes: 未知尺寸 'huge' / unknown size 'huge'",
    ]


def test_a_bare_number_is_accepted_as_text():
    model, problems = validate(_File, {"items": [{"id": 2026.1, "weight": 1}]}, "f.yaml")
    assert problems == [] and model is not None and model.items[0].id == "2026.1"


def test_a_fact_claims_policy_with_an_unknown_severity_is_refused(tmp_path):
    import yaml

    from monitor.checking.detectors.fact_claims_schema import FactClaimsFile
    from monitor.errors import LexiconError
    from monitor.yaml_files import read_validated

    shipped = Path(str(files("monitor").joinpath("policies", "fact_claims.yaml")))
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["certifications"]["organic"]["severity"] = "severe"
    path = tmp_path / "fact_claims.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert read_validated(shipped, FactClaimsFile).certifications["organic"].name
    with pytest.raises(LexiconError) as refused:
        read_validated(path, FactClaimsFile)
    assert refused.value.problems == [
        f"{path}: certifications.organic.severity: 须为 'low'、'medium'、'high' 之一 / "
        "'certifications.organic.severity' must be one of 'low', 'medium' or 'high', not 'severe'"
    ]


def test_a_normalisation_rule_out_of_range_is_refused_naming_the_field(tmp_path):
    import yaml

    from monitor.data_files import data_dir
    from monitor.errors import LexiconError
    from monitor.text.normalization import load_normalizer

    shipped = data_dir("lexicons") / "normalization.yaml"
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["generated"]["initials"]["min_term_length"] = 0
    path = tmp_path / "normalization.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LexiconError) as refused:
        load_normalizer(path)
    assert refused.value.problems == [
        f"{path}: generated.initials.min_term_length: 须不小于 1 / "
        "'generated.initials.min_term_length' must be at least 1, not 0"
    ]


def _copy_with(tmp_path: Path, name: str, file: str, change) -> Path:
    """The shipped data folder `name` copied, with `change` made to the YAML file `file`."""
    import shutil

    import yaml

    from monitor.data_files import data_dir

    folder = tmp_path / name
    shutil.copytree(data_dir(name), folder)
    data = yaml.safe_load((folder / file).read_text(encoding="utf-8"))
    change(data)
    (folder / file).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def _refused(**where) -> list[str]:
    from monitor import Checker
    from monitor.errors import LexiconError

    with pytest.raises(LexiconError) as refused:
        Checker.from_files(**where)
    return refused.value.problems


_SCORING = ("lexicons", "scoring.yaml")
_CONTEXT = ("lexicons", "context.yaml")
_CLASSIFIER = ("models", "classifier.yaml")


@pytest.mark.parametrize(
    "data, change, problem",
    [
        (
            _SCORING,
            lambda d: d["match_scores"].update(exakt=0.9),
            "match_scores.exakt: 未知键 / unknown key 'match_scores.exakt'",
        ),
        (
            _SCORING,
            lambda d: d.update(block_min_score=1.5),
            "block_min_score: 须不大于 1 / 'block_min_score' must be at most 1, not 1.5",
        ),
        (
            _SCORING,
            lambda d: d.update(block_severities=["severe"]),
            "block_severities[0]: 须为 'low'、'medium'、'high' 之一 / "
            "'block_severities[0]' must be one of 'low', 'medium' or 'high', not 'severe'",
        ),
        (
            _CONTEXT,
            lambda d: d["negation"]["cue_groups"][0].update(max_gap=-1),
            "negation.cue_groups[0].max_gap: 须不小于 0 / "
            "'negation.cue_groups[0].max_gap' must be at least 0, not -1",
        ),
        (
            _CONTEXT,
            lambda d: d.update(pricegap={"min_ratio": 3}),
            "pricegap: 未知键 / unknown key 'pricegap'",
        ),
        (
            _CONTEXT,
            lambda d: d["product_class_cues"].update(medicine=["国药准字"]),
            "product_class_cues: 未知商品类别 'medicine' / unknown product class 'medicine'",
        ),
        (
            _CLASSIFIER,
            lambda d: d["categories"]["price_fraud"].update(severity="severe"),
            "categories.price_fraud.severity: 须为 'low'、'medium'、'high' 之一 / "
            "'categories.price_fraud.severity' must be one of 'low', 'medium' or 'high', "
            "not 'severe'",
        ),
        (
            _CLASSIFIER,
            lambda d: d["categories"]["medical_claims"].update(exempt_for=["medicine"]),
            "categories.medical_claims.exempt_for: 未知商品类别 'medicine' / "
            "unknown product class 'medicine'",
        ),
        (
            _CLASSIFIER,
            lambda d: d["categories"].pop("superstition"),
            "categories: 缺少模型类别 'superstition' / missing the model's category 'superstition'",
        ),
        (
            _CLASSIFIER,
            lambda d: d["categories"]["superstition"].update(suggest="…"),
            "categories.superstition.suggest: 未知键 / unknown key 'categories.superstition.suggest'",
        ),
    ],
)
def test_a_detector_data_file_with_a_wrong_key_or_value_is_refused(tmp_path, data, change, problem):
    """scoring.yaml, context.yaml and models/classifier.yaml, each as the checker loads it."""
    name, file = data
    folder = _copy_with(tmp_path, name, file, change)
    where = {"folder": folder, "use_classifier": False} if name == "lexicons" else {}
    problems = _refused(**where) if where else _refused(model_folder=folder)
    assert problems == [f"{folder / file}: {problem}"]
