"""The network's input contract, shared by training and by the page.

The network sees a batch of 28x28 grey images, white ink (1.0) on black (0.0),
float32 in [0, 1]: an MNIST-style uint8 image divided by 255. Training and the
page both call :func:`to_network_input`, so the two can never disagree.
"""

import numpy as np

__all__ = ["IMAGE_SIZE", "to_network_input"]

IMAGE_SIZE = 28  # side of the square image the network receives, in pixels


def to_network_input(images: np.ndarray) -> np.ndarray:
    """Scale uint8 images (white on black, 0..255) to the network's float32 input.

    images : ndarray, shape (N, 28, 28) or (28, 28), uint8 0..255
    returns : ndarray, shape (N, 28, 28, 1), float32 in [0, 1]
    """
    batch = np.asarray(images)
    if batch.ndim == 2:
        batch = batch[None]  # (28, 28) -> (1, 28, 28)
    if batch.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"expected (N, 28, 28) images, got shape {batch.shape}")
    return (batch.astype(np.float32) / np.float32(255.0))[..., None]  # (N, 28, 28, 1)
