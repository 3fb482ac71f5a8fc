"""The ``[classify]`` section of a spec (``task = "classify"``): how labelled sequences are read
and prepared. A leaf module: the spec's dataclasses import it, it imports nothing of seqlab.

A spec on GunPoint (it ships inside the registry package ``sktime``)::

    task = "classify"
    [data]
    source = "gunpoint"
    [[model.layers]]
    type = "LSTM"
    units = 16
    [[model.layers]]
    type = "Dense"
    units = 2
    activation = "softmax"
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

# The time-series classification sets located inside the registry package sktime (never
# downloaded): the spec's data.source name -> the folder name under sktime/datasets/data.
PACKAGED_SETS = {"gunpoint": "GunPoint", "italypowerdemand": "ItalyPowerDemand", "arrowhead": "ArrowHead",
                 "basicmotions": "BasicMotions", "japanesevowels": "JapaneseVowels"}
# Text sets read from the data folder (SEQLAB_DATA_DIR or ../shared/data; not shipped).
TEXT_SETS = ("sentiment", "sentiment-imdb", "sentiment-amazon", "sentiment-yelp", "rt-polarity")
CLASSIFY_SOURCES = tuple(PACKAGED_SETS) + TEXT_SETS
BASELINES = ("majority", "tfidf_logistic", "logistic", "nearest_neighbour")


@dataclass
class ClassifySpec:
    # How data.path is read; "auto": by its extension (.ts, .arff, .tsv/.txt → sentences, .csv → wide).
    format: Literal["auto", "wide", "long", "sentences", "polarity", "ts", "arff", "tsv"] = "auto"
    label_column: str = "label"  # wide/long CSV: the column holding each sample's class
    sample_column: str = "sample_id"  # long CSV: the column naming the sample a row belongs to
    time_column: str = "t"  # long CSV: the column ordering the rows of a sample
    negative_path: Optional[str] = None  # polarity: the file of negative lines (data.path: positive ones)
    length: int = field(default=0, metadata={"min": 0})  # pad/truncate to this many steps; 0: longest in train
    padding: Literal["pre", "post"] = "post"  # where short sequences get padding
    truncating: Literal["pre", "post"] = "post"  # where long sequences lose steps
    max_words: Optional[int] = field(default=None, metadata={"min": 1})  # text: most frequent train words kept
    given_split: bool = True  # use the set's own train/test split when it has one (UCR/UEA files)
    class_weight: bool = False  # weight the loss by n_samples / (n_classes * count): rare classes count more
    baselines: list[Literal["majority", "tfidf_logistic", "logistic", "nearest_neighbour"]] = field(
        default_factory=lambda: list(BASELINES))  # those that do not apply (TF-IDF to numbers) are skipped
    wrong_shown: int = field(default=5, metadata={"min": 0})  # confidently wrong test samples in the report
