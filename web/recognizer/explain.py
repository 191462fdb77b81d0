"""A look inside the network: every layer's output, and which pixels pushed a class up.

* :func:`layer_outputs` runs the network's layers one by one and keeps each one's output
  (the last is what :meth:`Network.predict_proba` returns).
* :func:`gradient_times_input` is the sensitivity map: for each pixel, the gradient of a
  class's score (its logit, before the softmax) with respect to that pixel, times the
  pixel. The gradient comes from a NumPy backward pass through the same layers; positive
  values are ink that argues for the class, negative values ink that argues against it.

Both take (N, 28, 28) uint8 MNIST-style images, as the page's reader does.
"""

from dataclasses import dataclass

import numpy as np

from . import layers as L
from .architecture import Conv2D, Dense, Flatten, Layer, MaxPool2D
from .input_spec import to_network_input
from .network import Network

__all__ = ["LayerOutput", "gradient_times_input", "layer_outputs"]


@dataclass(frozen=True)
class LayerOutput:
    """One layer's output for a batch.

    name : the layer's name in the file ("pool1", "flatten" for unnamed layers: type and
        position); kind : its type ("conv2d", "max_pool2d", "flatten", "dense")
    values : (N, H, W, C) float32 for conv and pool, (N, n) for flatten and dense
    """

    name: str
    kind: str
    values: np.ndarray


def layer_outputs(network: Network, images: np.ndarray) -> list[LayerOutput]:
    """Every layer's output, in order: images (N, 28, 28) uint8 -> one LayerOutput a layer."""
    x = to_network_input(images)  # (N, 28, 28, 1)
    outputs = []
    for index, layer in enumerate(network.layers):
        for step in layer.steps():
            x = step(x)
        name = getattr(layer, "name", f"{layer.TYPE}{index + 1}")
        outputs.append(LayerOutput(name, layer.TYPE, x))
    return outputs


def gradient_times_input(network: Network, images: np.ndarray, classes) -> np.ndarray:
    """Sensitivity of each image's score for one class to each of its pixels.

    images : (N, 28, 28) uint8; classes : N class indices (or one for all)
    returns : (N, 28, 28) float32, d logit[class] / d pixel * pixel (pixels in [0, 1])
    """
    pixels = to_network_input(images)  # (N, 28, 28, 1)
    x, saved = pixels, []  # saved: each layer's input and linear output, for the way back
    for layer in network.layers:
        pre = _linear_forward(layer, x)
        saved.append((x, pre))
        x = L.relu(pre) if _has_relu(layer) else pre  # the last layer's logits stay as they are
    grad = np.zeros_like(x)  # (N, n_classes): d logit[class] / d logits
    grad[np.arange(len(x)), np.broadcast_to(classes, len(x))] = 1.0
    for layer, (inputs, pre) in zip(reversed(network.layers), reversed(saved), strict=True):
        if _has_relu(layer):
            grad = grad * (pre > 0)  # through the ReLU
        grad = _linear_backward(layer, inputs, grad)
    return (grad * pixels)[..., 0]  # (N, 28, 28)


def _has_relu(layer: Layer) -> bool:
    return isinstance(layer, Conv2D) or (isinstance(layer, Dense) and layer.activation == "relu")


def _linear_forward(layer: Layer, x: np.ndarray) -> np.ndarray:
    """The layer without its activation: conv and dense before ReLU or softmax (the
    softmax, only ever on the last layer, is left out: its input is the logits)."""
    if isinstance(layer, Conv2D):
        return L.conv2d(x, layer.kernel.astype(np.float32), layer.bias.astype(np.float32))
    if isinstance(layer, Dense):
        return L.dense(x, layer.kernel.astype(np.float32), layer.bias.astype(np.float32))
    if isinstance(layer, MaxPool2D):
        return L.max_pool2d(x)
    return L.flatten(x)


def _linear_backward(layer: Layer, inputs: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """d score / d inputs from d score / d (the layer's linear output)."""
    if isinstance(layer, Dense):
        return grad @ layer.kernel.astype(np.float32).T  # (N, n_out) -> (N, n_in)
    if isinstance(layer, Flatten):
        return grad.reshape(inputs.shape)  # (N, H*W*C) -> (N, H, W, C)
    if isinstance(layer, MaxPool2D):
        return _max_pool_backward(inputs, grad)
    return _conv_backward(layer, grad)


def _conv_backward(layer: Conv2D, grad: np.ndarray) -> np.ndarray:
    """A 'valid' convolution's input gradient: the 'full' convolution of the output gradient
    with the kernel turned 180 degrees, its channel axes swapped.

    grad : (N, H - kh + 1, W - kw + 1, C_out) -> (N, H, W, C_in)
    """
    kh, kw = layer.kernel.shape[:2]
    turned = layer.kernel.astype(np.float32)[::-1, ::-1].transpose(0, 1, 3, 2)  # (kh, kw, Co, Ci)
    padded = np.pad(grad, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    return L.conv2d(padded, np.ascontiguousarray(turned), np.zeros(turned.shape[3], np.float32))


def _max_pool_backward(inputs: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Each window's gradient goes to its maximum (the first one, on a tie).

    inputs : (N, H, W, C); grad : (N, H // 2, W // 2, C) -> (N, H, W, C)
    """
    n, h, w, c = inputs.shape
    ho, wo = h // 2, w // 2
    windows = inputs[:, : 2 * ho, : 2 * wo].reshape(n, ho, 2, wo, 2, c)
    windows = windows.transpose(0, 1, 3, 5, 2, 4).reshape(n, ho, wo, c, 4)  # 4 = 2x2 window
    winner = windows.argmax(axis=-1)  # (N, ho, wo, C)
    routed = (np.arange(4) == winner[..., None]) * grad[..., None]  # (N, ho, wo, C, 4)
    routed = routed.reshape(n, ho, wo, c, 2, 2).transpose(0, 1, 4, 2, 5, 3)
    out = np.zeros_like(inputs)
    out[:, : 2 * ho, : 2 * wo] = routed.reshape(n, 2 * ho, 2 * wo, c)
    return out
