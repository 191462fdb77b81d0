"""tools.eval_numbers: numbers written, read and scored."""

import pytest

from recognizer.network import load_network
from recognizer.reader import DigitReader
from tools import eval_numbers, numbers, unipen
from tools.eval_numbers import Outcome


@pytest.mark.parametrize(
    ("written", "read", "right"),
    [
        ("1234", "1234", 4),
        ("1234", "1284", 3),  # one misread
        ("1234", "124", 3),  # one missed
        ("1234", "12334", 4),  # one added
        ("1234", "", 0),
        ("10", "?10", 2),
    ],
)
def test_digits_are_scored_after_alignment(written, read, right):
    assert eval_numbers.aligned_matches(written, read) == right


def test_summary_counts_numbers_digits_and_lengths():
    outcomes = [
        Outcome("12", "12", 1, 0, False),
        Outcome("345", "3445", 1, 0, True),
        Outcome("678", "67", 2, 0, True),
        Outcome("90", "80", 2, 0, False),
    ]
    summary = eval_numbers.summarise(outcomes)
    assert summary["numbers"] == 4 and summary["writers"] == [1, 2]
    assert summary["count_right"] == 0.5
    assert summary["count_over"] == summary["count_under"] == 0.25
    assert summary["exact"] == 0.25
    assert summary["digits_right"] == pytest.approx((2 + 3 + 2 + 1) / 10)
    assert summary["by_length"] == {
        2: {"numbers": 2, "exact": 0.5},
        3: {"numbers": 2, "exact": 0.0},
    }
    assert summary["touching_share"] == 0.5
    assert summary["exact_touching"] == 0.0 and summary["exact_apart"] == 0.5


def test_numbers_are_written_by_the_writers_asked_and_read(weights_dir, pendigits_file):
    reader = DigitReader(load_network(weights_dir / "default.npz"))
    digits = unipen.load_pendigits(pendigits_file)
    pad = numbers.PADS["wide"]
    outcomes = eval_numbers.evaluate(reader, digits, [5, 9], 4, 7, pad, (3, 4), fold=2)
    assert len(outcomes) == 4
    assert {o.writer for o in outcomes} <= {5, 9} and {o.fold for o in outcomes} == {2}
    assert all(len(o.written) in (3, 4) for o in outcomes)
    assert sum(o.read == o.written for o in outcomes) >= 3
