"""The README's benchmark block, rendered from bench/results.json's content."""

import re
from pathlib import Path

__all__ = ["END", "START", "render", "replace_block"]

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
TOP_FILES = 8  # files listed by name in the bytes table


def _num(value: float) -> str:
    """Three significant figures, without exponents: 0.219, 18.5, 737, 6,870."""
    if value >= 1000:
        return f"{round(value, -1):,.0f}"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _ms(s: dict) -> str:
    return f"{_num(s['median'])} [{_num(s['p25'])}-{_num(s['p75'])}]"


def _skip(part: dict) -> str | None:
    if "skipped" in part:
        return f"_Skipped: {part['skipped']}_"
    if "error" in part:
        return f"_Failed: {part['error'].splitlines()[0]}_"
    return None


def _forward(part: dict) -> list[str]:
    rt = part["runtime"]
    lines = [
        f"Forward pass, ms per call, median [p25-p75] over {part['samples']} calls "
        f"(inputs: {part['inputs']}). Pyodide {rt['pyodide']} (NumPy {rt['numpy']}) and "
        f"{rt['ort']} run in one Node {rt['node']} process; CPython NumPy "
        f"{rt['cpython_numpy']}, one BLAS thread.",
        "",
        "| network | batch | CPython | Pyodide | ONNX Runtime Web | Pyodide / ORT "
        "| GFLOP/s Pyodide | GFLOP/s ORT |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, model in part["models"].items():
        for key in (k for k in model if k.startswith("batch_")):
            row = model[key]
            lines.append(
                f"| {name} | {key[6:]} | {_ms(row['ms']['cpython'])} "
                f"| {_ms(row['ms']['pyodide'])} | {_ms(row['ms']['ort_wasm'])} "
                f"| {row['ratio_pyodide_to_ort']:.2f}x "
                f"| {row['gflops']['pyodide']:.2f} | {row['gflops']['ort_wasm']:.2f} |"
            )
    mm = part["matmul_gflops"]
    side = mm["side"]
    lines += [
        "",
        f"Ceiling, a plain {side}x{side} float32 product (GFLOP/s, median): Pyodide "
        f"`@` {mm['pyodide']['matmul']['median']:.2f}, "
        f"einsum {mm['pyodide']['einsum']['median']:.2f}; "
        f"CPython `@` {mm['cpython']['matmul']['median']:.2f}. Probabilities of ours and ORT "
        "agree to "
        + ", ".join(
            f"{m['parity_max_abs_diff']:.1e} ({name})" for name, m in part["models"].items()
        )
        + " (max abs diff) before timing. GFLOP/s count each network's direct "
        "multiply-adds (2 FLOP each); in Pyodide, 3x3 convolutions with many tiles go "
        "through Winograd F(2x2, 3x3), which does 4/9 of them, so that figure can pass "
        "the ceiling.",
    ]
    return lines


def _numbers(part: dict) -> list[str]:
    return [
        f"A {part['digits']}-digit number read from the pad's ink and strokes "
        f"(`recognizer.segment`), ms, median [p25-p75] over {part['numbers']} generated "
        f"numbers, each the least of {part['rounds']} readings (`python -m bench.numbers`): "
        "read first, and at its last "
        "pen-up after the earlier ones (the reader remembers the digits it has read).",
        "",
        "| runtime | first reading | last pen-up |",
        "| --- | ---: | ---: |",
        f"| CPython, one BLAS thread | {_ms(part['cpython']['first'])} "
        f"| {_ms(part['cpython']['pen_up'])} |",
        f"| Pyodide in Node | {_ms(part['pyodide']['first'])} | {_ms(part['pyodide']['pen_up'])} |",
    ]


def _startup(part: dict) -> list[str]:
    lines = [
        f"Page start-up in headless Chromium on localhost, navigation -> ready, ms, "
        f"median [p25-p75] of {part['runs']} runs (cold: fresh profile; warm: second visit).",
        "",
        "| page | cold | warm |",
        "| --- | ---: | ---: |",
        f"| app | {_ms(part['app']['cold'])} | {_ms(part['app']['warm'])} |",
        f"| floor: PyScript + NumPy + Pillow only | {_ms(part['floor']['cold'])} "
        f"| {_ms(part['floor']['warm'])} |",
        f"| app / floor | {part['ratio_app_to_floor_cold']:.2f}x "
        f"| {part['ratio_app_to_floor_warm']:.2f}x |",
        "",
        f"App, warm / cold: {part['ratio_app_warm_to_cold']:.2f}x (a warm visit comes after "
        "the first one has saved the offline copy and kept Python's bytecode).",
    ]
    if "link" in part:
        lines += ["", *_startup_over_link(part["link"])]
    app, floor = part["bytes"]["app"], part["bytes"]["floor"]
    lines += [
        "",
        f"First-load bytes (headers + body as transferred, uncompressed server): app "
        f"{app['total'] / 1e6:.2f} MB, floor {floor['total'] / 1e6:.2f} MB.",
        "",
        "| file (app, cold load) | bytes |",
        "| --- | ---: |",
    ]
    files = list(app["files"].items())
    lines += [f"| {path} | {size:,} |" for path, size in files[:TOP_FILES]]
    rest = sum(size for _, size in files[TOP_FILES:])
    lines.append(f"| {len(files) - TOP_FILES} other files | {rest:,} |")
    return lines


def _startup_over_link(part: dict) -> list[str]:
    """The same start-up over a slower link (bench.link), when measured."""
    if skipped := _skip(part):
        return [skipped]
    return [
        f"The same over a {part['mbit']:.0f} Mbit/s link that all requests share, "
        f"{part['round_trip_s'] * 1000:.0f} ms before each response (`bench/link.py`), "
        f"{part['runs']} runs:",
        "",
        "| page | cold | warm |",
        "| --- | ---: | ---: |",
        f"| app | {_ms(part['app']['cold'])} | {_ms(part['app']['warm'])} |",
        f"| floor | {_ms(part['floor']['cold'])} | {_ms(part['floor']['warm'])} |",
        f"| app / floor | {part['ratio_app_to_floor_cold']:.2f}x "
        f"| {part['ratio_app_to_floor_warm']:.2f}x |",
        "",
        f"App, warm / cold: {part['ratio_app_warm_to_cold']:.2f}x.",
    ]


def _lighthouse(part: dict) -> list[str]:
    scores = part["scores"]
    lines = [
        f"Lighthouse {part['lighthouse']} on the served site with its default "
        f"{part['form_factor']} settings (simulated slow 4G, 4x CPU slowdown), one run. Targets: "
        "performance 90 or more, accessibility 100, best practices 95 or more.",
        "",
        "| performance | accessibility | best practices | total blocking time "
        "| cumulative layout shift | largest contentful paint |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {scores['performance']} | {scores['accessibility']} | {scores['best-practices']} "
        f"| {_num(part['tbt_ms'])} ms | {part['cls']:.3f} | {_num(part['lcp_ms'])} ms |",
    ]
    failed = [f"{name}: {', '.join(ids)}" for name, ids in part["failed"].items() if ids]
    if failed:
        lines += ["", f"Audits that did not pass: {'; '.join(failed)}."]
    if part["runtime_error"]:
        lines += [
            "",
            f"The run ended with an error, so some figures may be missing: {part['runtime_error']}",
        ]
    return lines


def _pct(value: float) -> str:
    return f"{100 * value:.2f} %"


def _writer_independent(folds: dict) -> list[str]:
    if "skipped" in folds:
        return [f"Writer-independent figures: {_skip(folds)}", ""]
    worst = folds["worst_writer"]
    cal = folds["calibration"]
    return [
        f"Writer-independent (default network; {folds['folds']}-fold by writer over the "
        f"{folds['writers']} writers of the pen data: each fold's network never saw the writers "
        f"it is scored on; {folds['digits']:,} pen digits drawn through the page's pipeline; "
        "measured by `build_weights.py`, stored in `weights/default.json`):",
        "",
        "| figure | value |",
        "| --- | ---: |",
        "| accuracy as the page answers, mean over folds | "
        f"{_pct(folds['accuracy_mean_over_folds'])} |",
        f"| worst writer (#{worst['writer']}) | {_pct(worst['accuracy'])} |",
        f"| network alone: upright / with the rotated views | "
        f"{_pct(folds['accuracy_network_upright'])} / {_pct(folds['accuracy_network_views'])} |",
        f"| real digits refused as not a digit | {_pct(folds['digits_rejected'])} |",
        f'| real digits answered "not sure" | {_pct(folds["digits_unsure"])} |',
        f"| negatives refused (trained families, unseen seed and writers) | "
        f"{_pct(folds['negatives_rejected'])} |",
        f"| negatives refused (families never trained on) | "
        f"{_pct(folds['negatives_rejected_held_out_families'])} |",
        f"| expected calibration error, held-out writers: raw / calibrated | "
        f"{_pct(folds['ece_raw'])} / {_pct(folds['ece_calibrated'])} |",
        f"| expected calibration error, MNIST test, calibrated | "
        f"{_pct(folds['mnist_ece_calibrated'])} |",
        f"| calibration: temperature / not-a-digit below / sure from | {cal['temperature']:.3f}"
        f" / {cal['reject_below']:.2f} / {cal['sure_at']:.2f} |",
        f"| weights file | {folds['file_bytes'] / 1024:,.0f} KB |",
        "",
    ]


def _accuracy(part: dict) -> list[str]:
    lines = _writer_independent(part["writer_independent"])
    lines += [
        "| network | MNIST test, network alone | errors / images | as the page reads it "
        "(views, calibration, refusals count as errors) | digits/s (CPython, network alone) |"
    ]
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    for name, figures in part["mnist"].items():
        if figures is None or "skipped" in figures:
            reason = figures["skipped"] if figures else "no MNIST data"
            lines.append(f"| {name} | skipped: {reason} | | | |")
            continue
        lines.append(
            f"| {name} | {_pct(figures['accuracy'])} | "
            f"{figures['errors']} / {figures['images']} | "
            f"{_pct(figures['accuracy_views'])} ({figures['errors_views']} errors, "
            f"{figures['rejected_views']} refused) | "
            f"{figures['digits_per_second']:,.0f} |"
        )
    strokes = part["strokes"]
    lines.append("")
    if "skipped" in strokes or "error" in strokes:
        lines.append(f"Pen strokes through the page: {_skip(strokes)}")
    else:
        lines.append(
            f"Pen strokes through the real page (default network, {strokes['digits']} pen digits "
            f"of the writers it was trained on, replayed as {strokes['input']}): "
            f"{_pct(strokes['accuracy'])} shown correctly, {strokes['rejected']} refused -- "
            "a check of the page's pipeline, not an accuracy (see the writer-independent table). "
            f"In-page recognition (canvas read to verdict): median "
            f"{strokes['recognition_ms_median']:.1f} ms, 95th percentile "
            f"{strokes['recognition_ms_p95']:.1f} ms; {strokes['digits_per_second']:.1f} digits/s."
        )
    return lines


def _latency(part: dict) -> list[str]:
    lines = []
    for key, condition in (("unthrottled", "no CPU slowdown"), ("throttled", "CPU slowed down")):
        run = part[key]
        skipped = _skip(run)
        if skipped:
            lines.append(f"Pointer-up -> result ({condition}): {skipped}")
            continue
        slowdown = f" {run['cpu_slowdown']:g}x" if key == "throttled" else ""
        lines.append(
            f"Pointer-up -> result, {condition}{slowdown}, ms over {run['digits']} pen digits "
            f"drawn in the page: in the DOM {_ms(run['pointer_up_to_dom_ms'])}, at the next "
            f"frame {_ms(run['pointer_up_to_frame_ms'])} (median [p25-p75])."
        )
        lines.append("")
    run = part.get("numbers") or {"skipped": "not measured in this run"}
    skipped = _skip(run)
    if skipped:
        lines.append(f"Pointer-up -> number: {skipped}")
    else:
        lines.append(
            f"Pointer-up -> number, no CPU slowdown, ms over {run['numbers']} numbers of "
            f"{run['digits_each']} pen digits drawn in the page: in the DOM "
            f"{_ms(run['pointer_up_to_dom_ms'])}, at the next frame "
            f"{_ms(run['pointer_up_to_frame_ms'])} (median [p25-p75]). Read as written: "
            f"{_pct(run['read_as_written'])} (the shipped network was trained on these "
            "writers: a check, not an accuracy); read as `tools.eval_numbers` reads them: "
            f"{_pct(run['read_as_evaluated'])}."
        )
    return lines


def _main_thread(part: dict) -> list[str]:
    rows = (
        ("start-up, navigation to ready", part["startup"]),
        (f"drawing {part['drawing']['digits']} pen digits with the mouse", part["drawing"]),
        (f"reading a {part['photo']['bytes'] / 1e6:.1f} MB 12-megapixel photo", part["photo"]),
    )
    lines = [
        f"The page's main thread at a {part['cpu_slowdown']:g}x CPU slowdown (Chromium's, which "
        "slows the Python worker too), from the Long Tasks API: tasks over 50 ms, the longest, "
        "and the blocking time (what each lasted beyond 50 ms, summed). One run each.",
        "",
        "| while | long tasks | longest, ms | blocking, ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, figures in rows:
        lines.append(
            f"| {label} | {figures['long_tasks']} | {_num(figures['longest_task_ms'])} "
            f"| {_num(figures['blocking_ms'])} |"
        )
    lines += [
        "",
        f"Ready after {_num(part['startup']['ready_ms'])} ms; the photo answered after "
        f"{_num(part['photo']['answer_ms'])} ms.",
    ]
    return lines


def _look_inside(part: dict) -> list[str]:
    closed, opened, original = part["closed"], part["open"], part["original"]

    def row(label: str, figures: dict) -> str:
        return f"| {label} | {_num(figures['p50'])} | {_num(figures['p95'])} |"

    lines = [
        f"The look-inside panel, {part['digits']} pen digits drawn with in-page events, no CPU "
        "slowdown, ms (p50 and 95th percentile; target: the open panel adds 20 ms or less):",
        "",
        "| panel | p50 | p95 |",
        "| --- | ---: | ---: |",
        row("closed: pointer-up -> result", closed["result"]),
        row("open: pointer-up -> result", opened["result"]),
        row("open: pointer-up -> every layer drawn", opened["panel"]),
        row("open: added after the result", opened["added"]),
        row("open: the look_inside call alone", opened["call"]),
        "",
        f"look_inside calls while the panel was closed: {closed['look_inside_calls']}. "
        f"Long tasks while drawing {closed['drawing']['digits']} digits with the mouse: "
        f"closed {closed['drawing']['long_tasks']} (longest "
        f"{_num(closed['drawing']['longest_task_ms'])} ms), open "
        f"{opened['drawing']['long_tasks']} (longest "
        f"{_num(opened['drawing']['longest_task_ms'])} ms).",
        "",
        f"The original network ({original['bytes'] / 1e6:.1f} MB), switched on: loaded after "
        f"{_num(original['load_ms'])} ms (fetched, checked, loaded in the worker; target 1 s), "
        f"its first answer shown after {_num(original['switch_to_answer_ms'])} ms. One run.",
    ]
    return lines


def _uploads(part: dict) -> list[str]:
    lines = [
        f"Synthetic phone photos (`tools/synthetic_photos.py`, seed {part['seed']}, which no "
        f"choice was made on; {part['photos']} photos, half of pen digits by the writers the "
        "network was trained on, half of MNIST test digits it never saw), through the upload "
        "path and the page's reading, CPython; a refusal counts as an error:",
        "",
        "| condition | read right |",
        "| --- | ---: |",
    ]
    lines += [f"| {name} | {_pct(value)} |" for name, value in part["by_condition"].items()]
    lines.append(f"| **all** | **{_pct(part['accuracy'])}** |")
    sources = part["by_source"]
    lines += [
        "",
        "By source: "
        + ", ".join(f"{name} {_pct(v['accuracy'])} of {v['photos']}" for name, v in sources.items())
        + f"; {part['ms_per_photo']:.0f} ms per photo (CPython).",
    ]
    if "mnist_png" in part:
        png = part["mnist_png"]
        lines.append(
            f"MNIST test digits uploaded as black-on-white PNG files: {_pct(png['accuracy'])} of "
            f"{png['images']:,}"
            + (
                f" ({_pct(png['tuning_accuracy'])} on digits 0-4,999, on which the upload path's "
                f"settings were chosen; {_pct(png['other_accuracy'])} on the others, on which "
                "none was, though their errors, broken strokes, led to keeping faint ink)."
                if "tuning_accuracy" in png
                else "."
            )
        )
    blank = part["blank_paper"]
    lines.append(
        f"Photos of blank paper given no digit: {_pct(blank['no_digit'])} of {blank['photos']}."
    )
    memory = part.get("upload_memory", {})
    if "skipped" not in memory and memory:
        lines += [
            "",
            "Uploads read alone in Pyodide under Node (the page's runtime): time, and the wasm "
            "memory's peak above idle (the budget is 150 MB):",
            "",
            "| file | size | read in | wasm memory above idle |",
            "|---|---:|---:|---:|",
        ]
        for name, row in memory.items():
            lines.append(
                f"| {name} | {row['bytes'] / 1e6:.2f} MB | {row['seconds']:.2f} s "
                f"| {row['wasm_bytes_above_idle'] / 1e6:.0f} MB |"
            )
        lines.append("")
    page_big = part.get("page_big_photo", {})
    if "page_ms" in page_big:
        lines.append(
            f"The same JPEG ({page_big['bytes'] / 1e6:.1f} MB) uploaded in the page: read in "
            f"{_ms(page_big['page_ms'])} ms by the page's clock, "
            f"{_ms(page_big['file_to_answer_ms'])} ms from handing over the file to the answer "
            "(median [p25-p75] of 3)."
        )
    return lines


SECTIONS = (
    ("forward", "Forward pass", _forward),
    ("numbers", "Reading a number", _numbers),
    ("startup", "Start-up and download size", _startup),
    ("lighthouse", "Lighthouse", _lighthouse),
    ("accuracy", "Accuracy", _accuracy),
    ("latency", "Drawing latency", _latency),
    ("main_thread", "Main thread with a slower CPU", _main_thread),
    ("look_inside", "Look inside, and the original network", _look_inside),
    ("uploads", "Uploads: photos, scans, blank paper", _uploads),
)


def render(results: dict) -> str:
    """Markdown for the block between the markers (markers excluded)."""
    env = results["environment"]
    lines = [
        f"Measured by `python -m bench{' --quick' if results['quick'] else ''}` on "
        f"{env['date']}: {env['machine']}, {env['cpus']} CPUs, Chromium {env['chromium']}. "
        "To measure again: `MNIST_DIR=… PENDIGITS_FILE=… PYODIDE_WHEELS=… "
        "python -m bench [--quick] [--strokes N]` (rewrites this block and "
        "`bench/results.json`; parts without their data are skipped; `--only PART ...` "
        "measures some parts again and keeps the others).",
    ]
    for key, title, body in SECTIONS:
        part = results["parts"].get(key) or {"skipped": "not measured in this run"}
        lines += ["", f"#### {title}", ""]
        skipped = _skip(part)
        lines += [skipped] if skipped else body(part)
    return "\n".join(lines)


def replace_block(readme: Path, block: str) -> None:
    """Put ``block`` between the markers in readme, adding the markers at the end if absent."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    new = f"{START}\n{block}\n{END}"
    if pattern.search(text):
        text = pattern.sub(lambda _: new, text, count=1)
    else:
        text = text.rstrip("\n") + f"\n\n{new}\n"
    readme.write_text(text, encoding="utf-8")
