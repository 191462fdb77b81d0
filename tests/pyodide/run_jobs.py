"""Run several scripts one after another in one interpreter (one Pyodide start-up for all).

    run_jobs.py JOBS.json

JOBS.json is a list of {"name", "script", "args"}; each script runs as __main__ with
sys.argv = [script, *args]. Its stdout goes to <name>.out and any exception's traceback
to <name>.err, both beside JOBS.json; one job's failure does not stop the others.
"""

import contextlib
import io
import json
import os
import runpy
import sys
import traceback


def run_jobs(jobs_file: str) -> None:
    folder = os.path.dirname(jobs_file)
    with open(jobs_file) as handle:
        jobs = json.load(handle)
    for job in jobs:
        out, err = io.StringIO(), io.StringIO()
        sys.argv = [job["script"], *job["args"]]
        try:
            with contextlib.redirect_stdout(out):
                runpy.run_path(job["script"], run_name="__main__")
        except BaseException:  # reported in the job's .err; the next job still runs
            traceback.print_exc(file=err)
        for suffix, text in ((".out", out), (".err", err)):
            with open(os.path.join(folder, job["name"] + suffix), "w") as handle:
                handle.write(text.getvalue())


if __name__ == "__main__":
    run_jobs(sys.argv[1])
