"""Entry point of the page's Python worker: ``python.js`` starts this file with PyScript's
``PyWorker`` and calls the functions it exports through ``pyscript.sync``.

Those calls go from the page to the worker only and answer asynchronously, so they need no
SharedArrayBuffer, and the page no cross-origin isolation (which GitHub Pages cannot give):
nothing here touches ``window`` or ``document``. Arguments arrive as JS values (typed
arrays become bytes here); the answers are plain dicts, which PyScript hands to the page as
JS objects (see ``main.py``).

``load_model`` comes first: it puts back the bytecode the page kept from an earlier visit
(``bytecode.py``), imports ``main`` (NumPy, Pillow and the recognizer) and loads the network;
then, once the page is ready, ``bytecode`` hands it every current ``.pyc`` file when this
start still compiled any module (a first visit, a new build's modules), to keep for the
next start. An error while importing ``main``
is not raised: PyScript would lose it on its way to the page; ``load_model`` answers with it,
with its type and text.
"""

import sys

import bytecode
from pyscript import sync

worker = None  # main.Worker, once load_model has imported main
restored = {}  # what load_model put back: .pyc path -> source hash (bytecode.unpack)


def load_model(data, sha256: str, kept_bytecode) -> dict:
    """The model file's bytes, its recorded sha256 and the kept bytecode zip (or None) ->
    main.Worker.load_model's answer."""
    global worker, restored
    restored = bytecode.unpack(kept_bytecode.to_bytes()) if kept_bytecode else {}
    bytecode.write_while_importing()
    try:
        from main import Worker
    except Exception as error:
        message = f"The recognizer failed to start: {type(error).__name__}: {error}"
        return {"state": "error", "message": message}
    worker = Worker()
    return worker.load_model(data.to_bytes(), sha256)


def fresh_bytecode() -> bytes | None:
    """A zip of every current .pyc file when this start compiled any module, else None."""
    pycs = bytecode.current(list(sys.modules.values()))
    return bytecode.pack(pycs) if bytecode.compiled(pycs, restored) else None


sync.load_model = load_model
sync.bytecode = fresh_bytecode
sync.recognize_number_pixels = lambda rgba, width, height, strokes, brush_px: (
    worker.recognize_number_pixels(rgba.to_bytes(), width, height, strokes.to_py(), brush_px)
)
sync.recognize_image = lambda data: worker.recognize_image(data.to_bytes())
sync.look_inside = lambda image: worker.look_inside(image.to_bytes())
sync.load_seed = lambda data, sha256: worker.load_seed(data.to_bytes(), sha256)
sync.recognize_with_seed = lambda image: worker.recognize_with_seed(image.to_bytes())
