"""load_csv: parsing, sorting, and error messages that name the file, line, column and value."""
import numpy as np
import pandas as pd
import pytest

from seqlab.data import DataFileError, load_csv
from seqlab.errors import SeqlabError


def write(tmp_path, text, name="prices.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_loads_sorts_and_keeps_missing_values(tmp_path):
    path = write(tmp_path, "Date,Open,Close,Name\n2024-01-03,3,3.5,A\n2024-01-01,1,,A\n\n2024-01-02,2,NA,A\n")
    frame = load_csv(path, time_column="Date", columns=["Open", "Close"])
    assert list(frame.index.strftime("%d")) == ["01", "02", "03"]
    np.testing.assert_array_equal(frame["Open"], [1, 2, 3])
    assert frame["Close"].isna().tolist() == [True, True, False]
    assert frame.attrs["sorted"] is True and frame.index.name == "Date"
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.dtypes.eq(np.float64).all()


def test_no_time_column(tmp_path):
    frame = load_csv(write(tmp_path, "a,b\n1,2\n3,4\n"))
    assert frame.values.tolist() == [[1, 2], [3, 4]] and isinstance(frame.index, pd.RangeIndex)


def test_missing_column_lists_the_existing_ones(tmp_path):
    path = write(tmp_path, "Date,Open,Close\n2024-01-01,1,2\n")
    with pytest.raises(DataFileError, match=r"prices.csv' has no column 'High' \(asked as `columns`\); "
                                            r"its columns are: 'Date', 'Open', 'Close'"):
        load_csv(path, time_column="Date", columns=["Open", "High"])
    with pytest.raises(DataFileError, match=r"has no column 'Time' \(asked as `time_column`\)"):
        load_csv(path, time_column="Time")


def test_non_numeric_value_names_line_column_and_value(tmp_path):
    path = write(tmp_path, "Date,Close\n2024-01-01,1.0\n2024-01-02,abc\n2024-01-03,oops\n")
    with pytest.raises(DataFileError, match=r"prices.csv', line 3, column 'Close': 'abc' is not a number "
                                            r"\(2 such values in this column\)"):
        load_csv(path, time_column="Date")


def test_infinite_value_names_line_column_and_value(tmp_path):
    # Line 1 is the header and line 3 is blank, so the first infinity, on row 3, is line 5.
    path = write(tmp_path, "Date,Open,Close\n2024-01-01,1,1.0\n\n2024-01-02,2,\n2024-01-03,3,-inf\n"
                           "2024-01-04,4,1e999\n")
    with pytest.raises(DataFileError, match=r"prices.csv', line 5, column 'Close': '-inf' is infinite "
                                            r"\(2 such values in this column\); only finite numbers or missing"):
        load_csv(path, time_column="Date")
    assert load_csv(path, time_column="Date", columns=["Open"])["Open"].tolist() == [1, 2, 3, 4]


def test_nan_text_is_still_a_missing_value_not_an_error(tmp_path):
    frame = load_csv(write(tmp_path, "a,b\n1,NaN\n,2\nnan,3\n"))
    assert frame.isna().to_numpy().tolist() == [[False, True], [True, False], [True, False]]


def test_bad_and_missing_timestamps(tmp_path):
    path = write(tmp_path, "Date,Close\n2024-01-01,1\n2024-13-45,2\n")
    with pytest.raises(DataFileError, match=r"line 3, column 'Date': '2024-13-45' is not a timestamp"):
        load_csv(path, time_column="Date")
    path = write(tmp_path, "Date,Close\n2024-01-01,1\n,2\n", name="b.csv")
    with pytest.raises(DataFileError, match=r"b.csv', line 3, column 'Date': the timestamp is missing"):
        load_csv(path, time_column="Date")


def test_duplicate_timestamps_name_their_lines(tmp_path):
    path = write(tmp_path, "Date,Close\n2024-01-02,1\n2024-01-01,2\n2024-01-02,3\n")
    with pytest.raises(DataFileError, match=r"column 'Date': timestamp 2024-01-02 00:00:00 appears 2 times "
                                            r"\(lines 2, 4\); timestamps must be unique"):
        load_csv(path, time_column="Date")


def test_unsorted_refused_when_sort_is_false(tmp_path):
    path = write(tmp_path, "Date,Close\n2024-01-01,1\n2024-01-03,2\n2024-01-02,3\n")
    with pytest.raises(DataFileError, match=r"line 4: column 'Date' goes back in time"):
        load_csv(path, time_column="Date", sort=False)


def test_empty_files_and_missing_file(tmp_path):
    with pytest.raises(DataFileError, match=r"empty.csv' is empty"):
        load_csv(write(tmp_path, "", name="empty.csv"))
    with pytest.raises(DataFileError, match=r"header.csv' has a header but no data rows"):
        load_csv(write(tmp_path, "Date,Close\n", name="header.csv"), time_column="Date")
    with pytest.raises(FileNotFoundError, match=r"nope.csv' does not exist"):
        load_csv(tmp_path / "nope.csv")
    assert issubclass(DataFileError, SeqlabError)


def test_ragged_rows_are_a_file_error(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3,4,5\n")
    with pytest.raises(DataFileError, match=r"cannot be read as CSV: .*Expected 2 fields in line 3, saw 3"):
        load_csv(path)


def test_a_first_line_longer_than_the_header_is_refused_not_shifted(tmp_path):
    # pandas would read "1,1,5" as row label 1 and values (1, 5): every column shifted by one.
    path = write(tmp_path, "a,b\n1,1,5\n2,3\n")
    with pytest.raises(DataFileError, match=r"prices.csv', line 2: more fields than the header's 2 columns "
                                            r"\('a', 'b'\); a trailing ','"):
        load_csv(path)
