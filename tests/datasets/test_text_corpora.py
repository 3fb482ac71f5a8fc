"""Text corpora read from the data folder (skipped with a reason where the folder is absent)."""
import pytest

from seqlab.datasets import data_dir, load_rt_polarity, load_sentiment, load_shakespeare, text

HERE = data_dir()
needs_data = pytest.mark.skipif(HERE is None, reason="no data folder (../shared/data or $SEQLAB_DATA_DIR) on this machine")


@needs_data
def test_sentiment_labelled_sentences():
    frame = load_sentiment()
    assert frame.shape == (3000, 3) and frame["label"].value_counts().to_dict() == {0: 1500, 1: 1500}
    assert frame["source"].value_counts().to_dict() == {"imdb": 1000, "amazon": 1000, "yelp": 1000}
    yelp = load_sentiment("yelp")
    assert yelp.iloc[0].tolist() == ["Wow... Loved this place.", 1, "yelp"]  # the file's first line


@needs_data
def test_rt_polarity():
    frame = load_rt_polarity()
    assert frame.shape == (10662, 2) and frame["label"].sum() == 5331
    assert frame["sentence"].iloc[-1].startswith("enigma is well-made")


@needs_data
def test_shakespeare_size():
    assert len(load_shakespeare()) == 1_115_394


def test_missing_file_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setattr(text, "_candidates", lambda: [tmp_path])
    with pytest.raises(FileNotFoundError, match=r"'tinyshakespeare.txt' is not bundled with seqlab and was not "
                                                r"found in .*; set SEQLAB_DATA_DIR to the folder holding it"):
        load_shakespeare()
    with pytest.raises(FileNotFoundError, match=r"missing.txt does not exist"):
        load_shakespeare(path=tmp_path / "missing.txt")
    with pytest.raises(ValueError, match=r"`source` must be 'imdb' or 'amazon' or 'yelp' or 'all', got 'tweets'"):
        load_sentiment("tweets")


def test_data_dir_follows_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("SEQLAB_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
