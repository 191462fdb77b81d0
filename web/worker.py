"""Entry point of the page's Python worker: ``python.js`` starts this file with PyScript's
``PyWorker`` and calls the functions it exports through ``pyscript.sync``.

Those calls go from the page to the worker only and answer asynchronously, so they need no
SharedArrayBuffer, and the page no cross-origin isolation (which GitHub Pages cannot give):
nothing here touches ``window`` or ``document``. Arguments arrive as JS values (typed
arrays become bytes here); the answers are plain dicts, which PyScript hands to the page as
JS objects (see ``main.py``).

An error while importing ``main`` (or what it imports) is not raised: PyScript would lose it
on its way to the page. ``load_model`` answers with it instead, with its type and text.
"""

from pyscript import sync

try:
    from main import Worker
except Exception as error:  # reported to the page by load_model
    failure = {
        "state": "error",
        "message": f"The recognizer failed to start: {type(error).__name__}: {error}",
    }
    sync.load_model = lambda data, sha256: failure
else:
    worker = Worker()
    sync.load_model = lambda data, sha256: worker.load_model(data.to_bytes(), sha256)
    sync.recognize_number_pixels = lambda rgba, width, height, strokes, brush_px: (
        worker.recognize_number_pixels(rgba.to_bytes(), width, height, strokes.to_py(), brush_px)
    )
    sync.recognize_image = lambda data: worker.recognize_image(data.to_bytes())
    sync.look_inside = lambda image: worker.look_inside(image.to_bytes())
    sync.load_seed = lambda data, sha256: worker.load_seed(data.to_bytes(), sha256)
    sync.recognize_with_seed = lambda image: worker.recognize_with_seed(image.to_bytes())
