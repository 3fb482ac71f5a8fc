"""The experiment spec: what ``seqlab run SPEC.toml`` reads, as dataclasses with defaults.

One section per step of the notes' workflow (load, prepare, build, train, test). Every key is
optional unless marked *required*; the comment on each default says why it is the default.
:func:`seqlab.experiment.load.load_spec` reads a TOML file into a :class:`Spec`, naming the
key path (``training.epochs``) and line of every mistake.

A minimal spec::

    name = "aapl-lstm"
    [data]
    source = "aapl"            # a bundled data set, or: path = "prices.csv"
    targets = ["Close"]
    [windows]
    look_back = 20
    [[model.layers]]
    type = "LSTM"
    units = 16
    [[model.layers]]
    type = "Dense"
    units = 1
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from seqlab.experiment.classify.spec import ClassifySpec

# metadata keys the validator understands: min / max (inclusive), min_exclusive, max_exclusive,
# required, help (shown in errors), nonempty (lists).


@dataclass
class DataSpec:
    source: Optional[str] = None  # a bundled data set (see `seqlab.datasets`); or give `path`
    path: Optional[str] = None  # a CSV file, relative to the spec file's folder
    time_column: Optional[str] = None  # parsed as dates and sorted; None: the bundled set's own, or row order
    inputs: Optional[list[str]] = None  # None: the targets themselves (univariate, as in the notes)
    targets: list[str] = field(default_factory=list, metadata={"required": True, "nonempty": True})
    frequency: Optional[str] = None  # pandas offset alias ("D", "B", "h"); None: rows are taken as regular
    missing: Literal["error", "drop", "ffill", "interpolate"] = "error"  # never fill silently
    start: Optional[str] = None  # keep rows from this date on (inclusive)
    end: Optional[str] = None  # keep rows up to this date (inclusive)


@dataclass
class WindowsSpec:
    look_back: int = field(default=20, metadata={"min": 1})  # rows of history per window
    horizon: int = field(default=1, metadata={"min": 1})  # steps predicted per window
    foresight: int = field(default=0, metadata={"min": 0})  # rows skipped before the first target (notes)
    stride: int = field(default=1, metadata={"min": 1})  # distance between training windows


@dataclass
class SplitSpec:
    # Fractions of the rows, in time order; they must add up to 1. Or give dates instead.
    train: float = field(default=0.7, metadata={"min_exclusive": 0.0, "max_exclusive": 1.0})
    validation: float = field(default=0.15, metadata={"min": 0.0, "max_exclusive": 1.0})
    test: float = field(default=0.15, metadata={"min_exclusive": 0.0, "max_exclusive": 1.0})
    validation_start: Optional[str] = None  # a date: rows from here on validate (overrides fractions)
    test_start: Optional[str] = None  # a date: rows from here on test (overrides fractions)


@dataclass
class ScalingSpec:
    method: Literal["minmax", "standard", "robust", "none"] = "minmax"  # the notes' MinMaxScaler
    feature_range: list[float] = field(default_factory=lambda: [0.0, 1.0])  # minmax only


@dataclass
class ModelSpec:
    # Each layer: {type = "<class name of seqlab.layers>", <its arguments by their Python names>}.
    # The Input layer is added for you from windows.look_back and the number of inputs.
    layers: list[dict[str, Any]] = field(default_factory=list, metadata={"required": True, "nonempty": True})


@dataclass
class EarlyStoppingSpec:
    monitor: str = "val_loss"  # falls back to "loss" when there is no validation part
    patience: int = field(default=5, metadata={"min": 0})
    min_delta: float = field(default=0.0, metadata={"min": 0.0})
    restore_best_weights: bool = True  # evaluate the best epoch, not the last


@dataclass
class TrainingSpec:
    epochs: int = field(default=20, metadata={"min": 1})
    batch_size: int = field(default=32, metadata={"min": 1})
    optimizer: str = "adam"  # any name `model.compile(optimizer=...)` accepts
    learning_rate: Optional[float] = field(default=None, metadata={"min_exclusive": 0.0})  # None: optimizer's default
    loss: str = "mse"  # any name `model.compile(loss=...)` accepts
    shuffle: bool = True  # shuffles windows, never rows inside a window
    early_stopping: Optional[EarlyStoppingSpec] = None  # a table turns it on
    seed: int = field(default=0, metadata={"min": 0})  # --seed overrides it
    # "bf16": the layers compute in bfloat16 (policy 'mixed_bfloat16', weights float32), the last
    # layer in float32; --precision overrides it
    precision: Literal["fp32", "bf16"] = "fp32"


@dataclass
class BacktestSpec:
    folds: int = field(default=0, metadata={"min": 0})  # 0: no walk-forward backtest
    mode: Literal["expanding", "sliding"] = "expanding"
    test_size: Optional[int] = field(default=None, metadata={"min": 1})  # rows per fold; None: test part / folds
    train_size: Optional[int] = field(default=None, metadata={"min": 1})  # sliding mode's window; None: all before fold 0
    refit: bool = False  # retrain the model per fold (slower) or reuse the trained one
    epochs: Optional[int] = field(default=None, metadata={"min": 1})  # refit epochs; None: as many as the main run trained


@dataclass
class EvaluationSpec:
    metrics: list[Literal["mae", "rmse", "mape", "smape", "mase"]] = field(
        default_factory=lambda: ["mae", "rmse", "mape", "smape", "mase"])
    baselines: list[Literal["persistence", "seasonal_naive", "drift", "moving_average"]] = field(
        default_factory=lambda: ["persistence", "seasonal_naive", "drift", "moving_average"])
    season: int = field(default=5, metadata={"min": 1})  # seasonal naive's period (5 = a trading week)
    moving_average_window: Optional[int] = field(default=None, metadata={"min": 1})  # None: look_back
    mase_season: int = field(default=1, metadata={"min": 1})  # MASE's in-sample naive lag
    multi_step: Literal["direct", "recursive"] = "direct"  # recursive: a one-step model fed its predictions
    backtest: BacktestSpec = field(default_factory=BacktestSpec)


@dataclass
class ReportSpec:
    enabled: bool = True
    trace_window: int = -1  # which test window the gate heat map shows (-1: the last)


@dataclass
class TextSpec:
    # task = "generate": the corpus, how it is cut into tokens, and the position split.
    source: Optional[str] = None  # a text that ships with the install ("python-help") or in the data folder
    path: Optional[str] = None  # a UTF-8 text file, relative to the spec file's folder
    level: Literal["char", "word"] = "char"  # characters (bits per character) or words (perplexity per word)
    sequence_length: int = field(default=100, metadata={"min": 2})  # tokens per training window (BPTT length)
    validation: float = field(default=0.05, metadata={"min": 0.0, "max_exclusive": 1.0})  # end of the first part
    test: float = field(default=0.1, metadata={"min_exclusive": 0.0, "max_exclusive": 1.0})  # the last 10% tests
    embedding_dim: int = field(default=32, metadata={"min": 1})  # the Embedding the runner puts first
    ngram_orders: list[int] = field(default_factory=lambda: [3, 5])  # Kneser-Ney baselines (1: unigram is always on)
    max_chars: Optional[int] = field(default=None, metadata={"min": 100})  # read only the first N characters


@dataclass
class SamplingSpec:
    # task = "generate": the samples the report shows.
    prime: str = ""  # text the samples start from ("": a newline-free start, the first test token)
    length: int = field(default=300, metadata={"min": 1})  # tokens per sample
    temperatures: list[float] = field(default_factory=lambda: [0.2, 0.5, 1.0])
    top_k: Optional[int] = field(default=None, metadata={"min": 1})  # None: no top-k cut
    top_p: Optional[float] = field(default=None, metadata={"min_exclusive": 0.0, "max": 1.0})  # None: no nucleus cut


@dataclass
class Spec:
    name: str = "experiment"  # the run directory is runs/<time>-<name>/
    description: str = ""
    # What the run does: forecast a series, classify sequences or generate text. Which sections a
    # task reads is written once, in seqlab.experiment.tasks.TASK_SECTIONS.
    task: Literal["forecast", "classify", "generate"] = "forecast"
    data: DataSpec = field(default_factory=DataSpec, metadata={"required": True})
    windows: WindowsSpec = field(default_factory=WindowsSpec)
    split: SplitSpec = field(default_factory=SplitSpec)
    scaling: ScalingSpec = field(default_factory=ScalingSpec)
    model: ModelSpec = field(default_factory=ModelSpec, metadata={"required": True})
    training: TrainingSpec = field(default_factory=TrainingSpec)
    evaluation: EvaluationSpec = field(default_factory=EvaluationSpec)
    report: ReportSpec = field(default_factory=ReportSpec)
    text: TextSpec = field(default_factory=TextSpec)
    sampling: SamplingSpec = field(default_factory=SamplingSpec)
    classify: ClassifySpec = field(default_factory=ClassifySpec)  # task = "classify" only
    # Not TOML keys: the spec file's folder (relative data paths resolve against it), its name
    # and the line of every key, so that errors found later (a missing column) name the line.
    base_dir: Optional[str] = field(default=None, metadata={"internal": True})
    source: Optional[str] = field(default=None, metadata={"internal": True})
    lines: dict = field(default_factory=dict, metadata={"internal": True}, repr=False)

    @property
    def inputs(self) -> list[str]:
        return list(self.data.inputs or self.data.targets)

    @property
    def targets(self) -> list[str]:
        return list(self.data.targets)

    def resolve_path(self, path: str) -> str:
        """A path as written in the spec, resolved against the spec file's folder (``~`` expanded)."""
        path = os.path.expanduser(path)
        return path if os.path.isabs(path) or self.base_dir is None else os.path.join(self.base_dir, path)

    @property
    def data_file(self) -> str | None:
        """``data.path`` resolved (None for a bundled source)."""
        return None if self.data.path is None else self.resolve_path(self.data.path)
