"""Evaluate reading numbers: generated handwritten numbers through the page's Python.

    python -m tools.eval_numbers [--folds runs/folds] [--numbers 300] [--seed 101]
                                 [--pad wide|square] [--json OUT]

Numbers of 2 to 8 digits (``tools.numbers``: one writer's pen digits, random gaps, some
touching, a drifting baseline) are drawn with the page's pen, read from their pixels and
their strokes (as the page hands them over) by ``recognizer.segment.read_number``
and compared with what was written.

**Writers.** With fold networks (``python -m training.writer_folds --seed 20240607
--keep-networks runs/folds``: each trained with the shipped recipe on MNIST and 24 of the
30 pen writers), each fold's numbers are written by its 6 held-out writers and read by its
network with the shipped calibration, so no writer is one its network saw. Fold 0's writers
were used to tune ``recognizer.segment`` and are reported apart (``--report-folds``).
Without fold networks, ``--weights`` (default: the shipped network) reads numbers by all 30
writers, which that network was trained on: a check of the pipeline, not an accuracy.

**Figures.** The digit count right; the whole number right, overall and by length; the
digits read right (aligned to the truth, so a missing or extra digit costs one); beside
them, the same writers' digits drawn one at a time as the page reads a single digit; single
digits read as more than one; and the Python time to read a 6-digit number (CPython; run
with OPENBLAS_NUM_THREADS=1 for one BLAS thread, as the page has).
"""

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognizer import preprocess, segment
from recognizer.network import load_network
from recognizer.reader import DigitReader
from tools import numbers, unipen
from tools.paths import REPO_ROOT, shared_path

__all__ = ["Outcome", "aligned_matches", "evaluate", "main", "read_written", "summarise"]

DEFAULT_WEIGHTS = REPO_ROOT / "weights" / "default.npz"
DEFAULT_FOLDS = REPO_ROOT / "runs" / "folds"
TUNING_FOLDS = (0,)  # the folds whose writers recognizer.segment was tuned on
PAD_LENGTHS = {"wide": numbers.LENGTHS, "square": (2, 3, 4)}  # what fits each pad
TIMED_NUMBERS = 100  # 6-digit numbers timed


@dataclass(frozen=True)
class Outcome:
    """One number read: what was written, what was read, by whom; touching: whether two
    neighbours' ink boxes touch or overlap."""

    written: str
    read: str
    writer: int
    fold: int
    touching: bool


def aligned_matches(written: str, read: str) -> int:
    """Digits of ``written`` read right once the two strings are aligned with the fewest
    edits (Levenshtein): a digit missed, added or misread costs one."""
    rows, cols = len(written) + 1, len(read) + 1
    cost = np.zeros((rows, cols), np.int64)
    cost[:, 0], cost[0, :] = np.arange(rows), np.arange(cols)
    for i in range(1, rows):
        for j in range(1, cols):
            same = written[i - 1] == read[j - 1]
            cost[i, j] = min(
                cost[i - 1, j] + 1, cost[i, j - 1] + 1, cost[i - 1, j - 1] + (not same)
            )
    matches, i, j = 0, rows - 1, cols - 1
    while i > 0 and j > 0:
        same = written[i - 1] == read[j - 1]
        if cost[i, j] == cost[i - 1, j - 1] + (not same):
            matches += same
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return matches


def reader_for(path: Path, calibration_from: Path) -> DigitReader:
    """A reader of the network in ``path`` with the calibration stored in another file (the
    fold networks carry none; the shipped one was fitted on their predictions)."""
    reader = DigitReader(load_network(path))
    reader.calibration = DigitReader(load_network(calibration_from)).calibration
    return reader


def read_written(reader: DigitReader, number: numbers.WrittenNumber) -> str:
    """What the page reads for ``number``: its pixels drawn with the page's pen, and its
    strokes, through ``segment.read_number``."""
    ink = preprocess.ink_from_rgba(numbers.rasterize_number(number))  # (H, W)
    return segment.read_number(reader, ink, number.strokes, number.pad.brush_px).text


def evaluate(
    reader: DigitReader,
    digits: Sequence[unipen.PenDigit],
    writers: Sequence[int],
    count: int,
    seed: int,
    pad: numbers.Pad,
    lengths: Sequence[int],
    fold: int,
) -> list[Outcome]:
    """Write ``count`` numbers by ``writers`` (seeded) and read them."""
    outcomes = []
    for number in numbers.generate_numbers(digits, count, seed, pad, lengths, writers):
        read = read_written(reader, number)
        gaps = number.boxes[1:, 0] - number.boxes[:-1, 2]  # (D - 1,) ink px
        outcomes.append(Outcome(number.text, read, number.writer, fold, bool((gaps <= 0).any())))
    return outcomes


def single_digits(reader: DigitReader, digits: Sequence[unipen.PenDigit]) -> dict:
    """The writers' digits drawn one at a time on the page's pad: read as the page reads a
    single digit (a "not a digit" counts as wrong), and read as a number (how often one
    digit comes out as several)."""
    images = np.stack([unipen.page_image(d.strokes) for d in digits])  # (N, 28, 28)
    verdicts = reader.read(images)
    labels = [d.label for d in digits]
    right = [v.kind != "not_digit" and v.digit == y for v, y in zip(verdicts, labels, strict=True)]
    side = unipen.CANVAS_SIDE_PX
    several = 0
    for digit in digits[::5]:  # every fifth: reading numbers is the slower part
        canvas = unipen.fit_to_canvas(digit.strokes, side)
        brush = unipen.BRUSH_FRACTION * side
        ink = unipen.rasterize(canvas, side, brush)[..., 3]
        several += len(segment.read_number(reader, ink, canvas, brush).digits) > 1
    return {
        "digits": len(digits),
        "accuracy": float(np.mean(right)),
        "read_as_several": several / len(digits[::5]),
        "read_as_several_of": len(digits[::5]),
    }


def time_six_digits(reader: DigitReader, digits: Sequence[unipen.PenDigit], seed: int) -> dict:
    """Milliseconds to read a 6-digit number on the wide pad from its ink (median, 90th
    percentile), each as a first reading (the reader's memo emptied before)."""
    written = numbers.generate_numbers(digits, TIMED_NUMBERS, seed, numbers.PADS["wide"], (6,))
    inks = [preprocess.ink_from_rgba(numbers.rasterize_number(n)) for n in written]
    first = written[0]
    segment.read_number(reader, inks[0], first.strokes, first.pad.brush_px)  # warm up
    times = []
    for ink, number in zip(inks, written, strict=True):
        reader.forget()
        start = time.perf_counter()
        segment.read_number(reader, ink, number.strokes, number.pad.brush_px)
        times.append(1000 * (time.perf_counter() - start))
    return {"numbers": len(times), "ms_median": float(np.median(times)),
            "ms_p90": float(np.percentile(times, 90))}  # fmt: skip


def summarise(outcomes: Sequence[Outcome]) -> dict:
    """The figures of a list of outcomes (see the module docstring)."""
    written_digits = sum(len(o.written) for o in outcomes)
    by_length = {}
    for length in sorted({len(o.written) for o in outcomes}):
        of_length = [o for o in outcomes if len(o.written) == length]
        by_length[length] = {
            "numbers": len(of_length),
            "exact": float(np.mean([o.read == o.written for o in of_length])),
        }
    touching = [o for o in outcomes if o.touching]
    apart = [o for o in outcomes if not o.touching]
    return {
        "numbers": len(outcomes),
        "writers": sorted({o.writer for o in outcomes}),
        "count_right": float(np.mean([len(o.read) == len(o.written) for o in outcomes])),
        "count_over": float(np.mean([len(o.read) > len(o.written) for o in outcomes])),
        "count_under": float(np.mean([len(o.read) < len(o.written) for o in outcomes])),
        "exact": float(np.mean([o.read == o.written for o in outcomes])),
        "digits_right": sum(aligned_matches(o.written, o.read) for o in outcomes) / written_digits,
        "by_length": by_length,
        "touching_share": len(touching) / len(outcomes),
        "exact_touching": float(np.mean([o.read == o.written for o in touching]))
        if touching
        else None,
        "exact_apart": float(np.mean([o.read == o.written for o in apart])) if apart else None,
    }


def format_report(report: dict) -> str:
    """A few lines for the terminal."""
    lines = [report["measured_on"]]
    for name in ("reported", "tuning"):
        part = report.get(name)
        if not part:
            continue
        numbers_part, single = part["numbers"], part["single_digits"]
        lines += [
            f"{name}: folds {part['folds']}, writers {numbers_part['writers']}",
            f"  {numbers_part['numbers']} numbers: digit count right "
            f"{numbers_part['count_right']:.2%} (too many {numbers_part['count_over']:.2%}, "
            f"too few {numbers_part['count_under']:.2%}); whole number right "
            f"{numbers_part['exact']:.2%}",
            f"  digits read right {numbers_part['digits_right']:.2%}; the same writers' digits "
            f"one at a time {single['accuracy']:.2%} ({single['digits']} digits)",
            "  whole number right by length: "
            + ", ".join(
                f"{length}: {v['exact']:.1%} of {v['numbers']}"
                for length, v in numbers_part["by_length"].items()
            ),
            f"  numbers with touching or overlapping neighbours: "
            f"{numbers_part['touching_share']:.0%}, right {numbers_part['exact_touching']:.2%}; "
            f"the others right {numbers_part['exact_apart']:.2%}",
            f"  single digits read as several: {single['read_as_several']:.2%} "
            f"of {single['read_as_several_of']}",
        ]
    timing = report["six_digits"]
    lines.append(
        f"6-digit number, Python time (CPython): median {timing['ms_median']:.1f} ms, "
        f"90th percentile {timing['ms_p90']:.1f} ms ({timing['numbers']} numbers)"
    )
    return "\n".join(lines)


def _fold_networks(folder: Path) -> dict[int, tuple[Path, list[int]]]:
    """fold -> (model file, held-out writers) of the fold networks in ``folder``."""
    found = {}
    for path in sorted(folder.glob("*.fold*.npz")):
        meta = load_network(path).meta
        found[int(meta["fold"])] = (path, [int(w) for w in meta["held_out_writers"]])
    return found


def _part(readers_writers, digits, args, pad, lengths) -> dict:
    """Numbers and single digits over several (fold, reader, writers)."""
    outcomes, single = [], []
    for fold, reader, writers in readers_writers:
        outcomes += evaluate(reader, digits, writers, args.numbers, args.seed + fold, pad,
                             lengths, fold)  # fmt: skip
        own = [d for d in digits if d.writer in set(writers)]
        single.append(single_digits(reader, own))
    total = sum(s["digits"] for s in single)
    several_of = sum(s["read_as_several_of"] for s in single)
    return {
        "folds": [fold for fold, _, _ in readers_writers],
        "numbers": summarise(outcomes),
        "single_digits": {
            "digits": total,
            "accuracy": sum(s["accuracy"] * s["digits"] for s in single) / total,
            "read_as_several": sum(s["read_as_several"] * s["read_as_several_of"] for s in single)
            / several_of,
            "read_as_several_of": several_of,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=Path, default=DEFAULT_FOLDS, help="fold networks")
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS,
                        help="network without fold networks; calibration for them")  # fmt: skip
    parser.add_argument("--pen-file", type=Path, help="pendigits-orig.tra ($PENDIGITS_FILE)")
    parser.add_argument("--numbers", type=int, default=300, help="numbers per fold")
    parser.add_argument("--seed", type=int, default=101, help="seed of the numbers (+ fold)")
    parser.add_argument("--pad", choices=sorted(numbers.PADS), default="wide")
    parser.add_argument("--report-folds", type=int, nargs="*",
                        help="folds to report (default: all but the tuning folds)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args(argv)

    digits = unipen.load_pendigits(args.pen_file or shared_path("PENDIGITS_FILE"))
    pad, lengths = numbers.PADS[args.pad], PAD_LENGTHS[args.pad]
    folds = _fold_networks(args.folds) if args.folds.is_dir() else {}
    report: dict = {"pad": {"name": args.pad, "width": pad.width, "height": pad.height,
                            "pen_px": pad.brush_px}, "seed": args.seed}  # fmt: skip
    if folds:
        readers = {f: reader_for(path, args.weights) for f, (path, _) in folds.items()}
        shown = args.report_folds
        if shown is None:
            shown = [f for f in sorted(folds) if f not in TUNING_FOLDS]
        tuning = [f for f in sorted(folds) if f not in shown]
        report["measured_on"] = (
            f"writers no network saw: fold networks {sorted(folds)} ({args.folds}), each "
            f"reading its held-out writers; folds {tuning} tuned recognizer.segment"
        )
        report["reported"] = _part([(f, readers[f], folds[f][1]) for f in shown], digits, args,
                                   pad, lengths)  # fmt: skip
        if tuning:
            report["tuning"] = _part([(f, readers[f], folds[f][1]) for f in tuning], digits,
                                     args, pad, lengths)  # fmt: skip
        timing_reader = readers[shown[0]]
    else:
        reader = DigitReader(load_network(args.weights))
        writers = sorted({d.writer for d in digits})
        report["measured_on"] = (
            f"all {len(writers)} writers with {args.weights.name}, which was trained on them: "
            "a check of the pipeline, not an accuracy"
        )
        report["reported"] = _part([(0, reader, writers)], digits, args, pad, lengths)
        timing_reader = reader
    report["six_digits"] = time_six_digits(timing_reader, digits, args.seed)
    print(format_report(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
