"""Benchmarks: forward latency against ONNX Runtime Web, page start-up, bytes, accuracy.

Run them all with ``python -m bench [--quick]``; each figure is measured in the
same run as the reference it is compared with. Nothing here asserts on time.
"""
