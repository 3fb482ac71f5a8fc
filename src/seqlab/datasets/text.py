"""Text corpora read from a local data folder (not bundled: they are kept beside the project).

The folder is ``$SEQLAB_DATA_DIR`` if set, else ``../shared/data`` next to the working
directory or next to the repository seqlab runs from. A missing file raises
``FileNotFoundError`` saying where it was looked for and how to point seqlab at it.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from seqlab.checks import check_choice

SENTIMENT_SOURCES = ("imdb", "amazon", "yelp")
_SENTIMENT_FILES = {"imdb": "imdb_labelled.txt", "amazon": "amazon_cells_labelled.txt",
                    "yelp": "yelp_labelled.txt"}


def _candidates() -> list[Path]:
    places = []
    if os.environ.get("SEQLAB_DATA_DIR"):
        places.append(Path(os.environ["SEQLAB_DATA_DIR"]))
    places.append(Path.cwd().parent / "shared" / "data")
    places.append(Path(__file__).resolve().parents[3].parent / "shared" / "data")  # repo/../shared/data
    return places


def data_dir() -> Path | None:
    """The first existing data folder, or None."""
    return next((place for place in _candidates() if place.is_dir()), None)


def _find(relative: str, path=None) -> Path:
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist")
        return path
    for place in _candidates():
        if (place / relative).exists():
            return place / relative
    looked = ", ".join(str(place) for place in _candidates())
    raise FileNotFoundError(f"'{relative}' is not bundled with seqlab and was not found in {looked}; "
                            "set SEQLAB_DATA_DIR to the folder holding it, or pass path=")


def load_shakespeare(path=None) -> str:
    """The "tiny shakespeare" corpus (1,115,394 characters, 65 distinct; public domain).

    >>> text = load_shakespeare()  # doctest: +SKIP
    >>> len(text), len(set(text))  # doctest: +SKIP
    (1115394, 65)
    """
    return _find("tinyshakespeare.txt", path).read_text(encoding="utf-8")


def load_sentiment(source: str = "all", path=None) -> pd.DataFrame:
    """UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015; CC BY 4.0).

    Args:
        source: ``"imdb"``, ``"amazon"``, ``"yelp"`` (1000 sentences each) or ``"all"``.
        path: the folder ``sentiment-labelled-sentences`` (default: found in the data folder).

    Returns:
        DataFrame with columns ``sentence`` (str), ``label`` (int, 1 = positive), ``source``.
    """
    check_choice("load_sentiment", "source", source, SENTIMENT_SOURCES + ("all",))
    folder = _find("sentiment-labelled-sentences", path)
    frames = []
    for name in SENTIMENT_SOURCES if source == "all" else (source,):
        rows = []
        for number, line in enumerate((folder / _SENTIMENT_FILES[name]).read_text(encoding="utf-8").split("\n"), 1):
            if not line.strip():
                continue
            sentence, _, label = line.rstrip("\r").rpartition("\t")
            if label.strip() not in ("0", "1"):
                raise ValueError(f"{folder / _SENTIMENT_FILES[name]}, line {number}: expected "
                                 f"'sentence<TAB>0/1', got {line[:60]!r}")
            rows.append((sentence.strip(), int(label), name))
        frames.append(pd.DataFrame(rows, columns=["sentence", "label", "source"]))
    return pd.concat(frames, ignore_index=True)


def load_rt_polarity(path=None) -> pd.DataFrame:
    """Rotten Tomatoes snippets (Pang & Lee 2005): 5331 positive, 5331 negative.

    Returns:
        DataFrame with columns ``sentence`` and ``label`` (1 = positive), positives first.
    """
    folder = _find("rt-polarity", path)
    frames = []
    for suffix, label in (("pos", 1), ("neg", 0)):
        # latin-1, and split on "\n" only: the files hold NEL (\x85) characters inside lines.
        text = (folder / f"rt-polarity.{suffix}").read_bytes().decode("latin-1")
        sentences = [line.strip() for line in text.split("\n") if line.strip()]
        frames.append(pd.DataFrame({"sentence": sentences, "label": label}))
    return pd.concat(frames, ignore_index=True)
