"""Print, as JSON, which computation routes recognizer.layers takes in this runtime."""

import json

import numpy as np

from recognizer import layers as L

kernel = L.as_kernel(np.ones((3, 3, 32, 64), np.float32))
print(
    json.dumps(
        {
            "blas": L._HAS_BLAS,
            "simd": L._HAS_SIMD,
            "einsum_rows": kernel.einsum_rows is not None,
            "winograd": kernel.winograd is not None,
            "winograd_pays": L._winograd_pays(kernel, 1, 24, 24),
        }
    )
)
