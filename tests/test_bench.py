"""Benchmark helpers: the ONNX twin of a model file, FLOP counts, the README block."""

import threading
import time
import urllib.request

import numpy as np
import pytest

from bench import link, numbers_kernel, report
from bench.accuracy import writer_independent
from bench.nets import PRESETS, preset_path, write_standin
from bench.onnx_export import forward_flops, npz_to_onnx
from bench.report import END, START, replace_block
from recognizer.model_file import read_model_file
from recognizer.network import load_network
from tools.paths import REPO_ROOT

onnx_reference = pytest.importorskip("onnx.reference")


@pytest.mark.parametrize("standin", [False, True], ids=["committed", "stand-in"])
@pytest.mark.parametrize("name", PRESETS)
def test_onnx_twin_gives_our_probabilities(tmp_path, name, standin):
    npz = write_standin(name, tmp_path / f"{name}.npz") if standin else preset_path(name)
    onnx_path = npz_to_onnx(npz, tmp_path / f"{name}.onnx")
    x = np.random.default_rng(1).random((3, 28, 28, 1), dtype=np.float32)
    (theirs,) = onnx_reference.ReferenceEvaluator(str(onnx_path)).run(None, {"x": x})
    ours = load_network(npz).predict_proba(x)
    assert theirs.shape == ours.shape == (3, read_model_file(npz).layers[-1].output_shape[0])
    np.testing.assert_allclose(theirs, ours, atol=1e-5)


def test_standins_have_the_committed_layers_and_other_weights(tmp_path):
    for name in PRESETS:
        committed = read_model_file(preset_path(name))
        standin = read_model_file(write_standin(name, tmp_path / f"{name}.npz", seed=3))
        assert standin.entries() == committed.entries()
        shapes = {key: value.shape for key, value in committed.arrays().items()}
        assert {key: value.shape for key, value in standin.arrays().items()} == shapes
        assert not np.array_equal(
            standin.arrays()["conv1/kernel"], committed.arrays()["conv1/kernel"]
        )


def test_forward_flops_of_the_default_preset():
    n_classes = read_model_file(preset_path("default")).layers[-1].output_shape[0]
    conv1 = 24 * 24 * 5 * 5 * 1 * 20
    conv2 = 10 * 10 * 3 * 3 * 20 * 40
    conv3 = 3 * 3 * 3 * 3 * 40 * 80
    dense = 720 * n_classes
    assert forward_flops(preset_path("default")) == 2 * (conv1 + conv2 + conv3 + dense)


def test_replace_block_keeps_the_rest_of_the_readme(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nintro\n\n{START}\nold figures\n{END}\n\n## After\n")
    replace_block(readme, "new figures")
    replace_block(readme, "newer figures")
    text = readme.read_text()
    assert text == f"# Title\n\nintro\n\n{START}\nnewer figures\n{END}\n\n## After\n"


def test_replace_block_appends_the_markers_when_missing(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    replace_block(readme, "figures")
    assert readme.read_text() == f"# Title\n\n{START}\nfigures\n{END}\n"


def test_accuracy_table_labels_what_each_figure_was_measured_on():
    card = REPO_ROOT / "weights" / "default.json"
    folds = writer_independent(card)
    assert folds is not None, "the committed model card has no writer-fold figures"
    mnist = {"images": 10000, "accuracy": 0.9961, "errors": 39, "digits_per_second": 9000.0}
    mnist |= {"accuracy_views": 0.996, "errors_views": 40, "rejected_views": 3}
    strokes = {"digits": 7494, "input": "events", "accuracy": 0.99, "rejected": 5}
    strokes |= {"digits_per_second": 60.0, "recognition_ms_median": 6.0, "recognition_ms_p95": 9.0}
    part = {"writer_independent": folds, "mnist": {"default": mnist}, "strokes": strokes}
    text = "\n".join(report._accuracy(part))
    assert "never saw the writers it is scored on" in text
    assert f"{100 * folds['accuracy_mean_over_folds']:.2f} %" in text
    assert f"worst writer (#{folds['worst_writer']['writer']})" in text
    assert "MNIST test, network alone" in text and "99.61 %" in text
    assert "of the writers it was trained on" in text and "not an accuracy" in text
    assert "95th percentile 9.0 ms" in text


def test_look_inside_table_reports_tails_and_the_original_network():
    def tail(p50, p95):
        return {"p50": p50, "p95": p95, "max": p95, "n": 30}

    drawing = {"digits": 6, "long_tasks": 0, "longest_task_ms": 0.0, "blocking_ms": 0.0}
    part = {
        "digits": 30,
        "cpu_slowdown": 1,
        "closed": {"result": tail(12, 20), "drawing": drawing, "look_inside_calls": 0},
        "open": {
            "result": tail(13, 22),
            "panel": tail(25, 38),
            "added": tail(11, 17.5),
            "call": tail(10, 16),
            "drawing": drawing,
        },
        "original": {"bytes": 2_412_610, "load_ms": 140.0, "switch_to_answer_ms": 230.0},
    }
    text = "\n".join(report._look_inside(part))
    assert "| open: added after the result | 11 | 17.5 |" in text
    assert "look_inside calls while the panel was closed: 0" in text
    assert "The original network (2.4 MB), switched on: loaded after 140 ms" in text
    rendered = report.render(
        {
            "quick": True,
            "environment": {"date": "d", "machine": "m", "cpus": 2, "chromium": "1"},
            "parts": {"look_inside": part},
        }
    )
    assert "#### Look inside, and the original network" in rendered
    assert "#### Forward pass\n\n_Skipped: not measured in this run_" in rendered


def test_numbers_kernel_times_first_readings_and_pen_ups(tmp_path):
    blank = np.zeros((60, 90), np.uint8)
    one = blank.copy()
    one[10:50, 20:26] = 255  # a 1
    eleven = one.copy()
    eleven[10:50, 60:66] = 255
    inks = {"number0/0": one, "number0/1": eleven, "number1/0": blank}
    inks |= {"stroke0/0": [[23, 12], [23, 48]], "stroke0/1": [[63, 12], [63, 48]]}
    inks |= {"stroke1/0": [[0, 0]], "brush0": 6.0, "brush1": 6.0}
    np.savez(tmp_path / "inks.npz", **inks)
    model = REPO_ROOT / "weights" / "default.npz"
    times = numbers_kernel.time_inks(str(tmp_path / "inks.npz"), str(model), rounds=2)
    assert set(times) == {"first", "pen_up"}
    for values in times.values():
        assert len(values) == 2 and all(np.isfinite(t) and t >= 0 for t in values)


def test_numbers_section_reports_both_runtimes_and_both_ways():
    def ms(median):
        return {"median": median, "p25": median - 1, "p75": median + 1, "min": 1.0, "n": 30}

    part = {"digits": 6, "numbers": 30, "rounds": 3}
    part |= {"cpython": {"first": ms(20.5), "pen_up": ms(10.5)}}
    part |= {"pyodide": {"first": ms(90.2), "pen_up": ms(40.2)}}
    text = "\n".join(report._numbers(part))
    assert "6-digit number" in text and "least of 3 readings" in text
    assert "| CPython, one BLAS thread | 20.5 [19.5-21.5] | 10.5 [9.5-11.5] |" in text
    assert "| Pyodide in Node | 90.2 [89.2-91.2] | 40.2 [39.2-41.2] |" in text


def test_the_link_server_shares_its_bandwidth_between_requests(tmp_path):
    """Two files fetched at once take as long as their bytes need at the link's rate."""
    size, mbit = 300_000, 8.0  # 1 MB/s: the pair needs at least 0.6 s
    for name in ("a.bin", "b.bin"):
        (tmp_path / name).write_bytes(bytes(size))
    server = link.start_link_server(tmp_path, mbit=mbit, round_trip_s=0.0)
    url = f"http://127.0.0.1:{server.server_port}/"
    bodies = {}

    def fetch(name):
        with urllib.request.urlopen(url + name) as response:
            bodies[name] = response.read()

    try:
        started = time.monotonic()
        threads = [threading.Thread(target=fetch, args=(n,)) for n in ("a.bin", "b.bin")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    assert bodies == {"a.bin": bytes(size), "b.bin": bytes(size)}
    assert elapsed >= 2 * size / (mbit * 1e6 / 8) * 0.95


def test_startup_section_shows_the_slower_link_when_measured():
    def times(median):
        return {"median": median, "p25": median - 10, "p75": median + 10}

    def startup(app_cold, floor_cold):
        return {
            "app": {"cold": times(app_cold), "warm": times(3000)},
            "floor": {"cold": times(floor_cold), "warm": times(3500)},
            "ratio_app_to_floor_cold": app_cold / floor_cold,
            "ratio_app_to_floor_warm": 3000 / 3500,
            "ratio_app_warm_to_cold": 3000 / app_cold,
            "runs": 5,
        }

    part = startup(4400, 3500) | {"bytes": {n: {"total": 1, "files": {}} for n in ("app", "floor")}}
    part["link"] = startup(7800, 7100) | {"mbit": 40.0, "round_trip_s": 0.04}
    text = "\n".join(report._startup(part))
    assert "The same over a 40 Mbit/s link that all requests share, 40 ms before each" in text
    assert "| app / floor | 1.10x | 0.86x |" in text
    part["link"] = {"error": "TimeoutError: no page"}
    assert "_Failed: TimeoutError: no page_" in "\n".join(report._startup(part))
