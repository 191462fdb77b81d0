"""In-page Python for the digit recognizer: preprocessing and a pure-NumPy CNN.

Every module here imports under plain CPython and under Pyodide; none imports
``js``, ``pyscript`` or TensorFlow.
"""
