"""Load every model file in a folder; print {file name: "loaded" | "ModelFileError"} as JSON.

load_models.py FOLDER
"""

import json
import os
import sys

from recognizer.network import ModelFileError, load_network


def load_all(folder: str) -> dict[str, str]:
    outcome = {}
    for name in sorted(os.listdir(folder)):
        try:
            load_network(os.path.join(folder, name))
            outcome[name] = "loaded"
        except ModelFileError:
            outcome[name] = "ModelFileError"
    return outcome


if __name__ == "__main__":
    print(json.dumps(load_all(sys.argv[1])))
