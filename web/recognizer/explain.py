"""A look inside the network: every layer's output, and which pixels pushed a class up.

* :func:`forward` runs the network's layers one by one and keeps what each one did
  (:class:`Forward`), so that one pass gives both of the following;
* :func:`layer_outputs` -- each layer's output (the last is what
  :meth:`Network.predict_proba` returns);
* :func:`gradient_times_input` is the sensitivity map: for each pixel, the gradient of a
  class's score (its logit, before the softmax) with respect to that pixel, times the
  pixel. The gradient comes from a NumPy backward pass through the same layers; positive
  values are ink that argues for the class, negative values ink that argues against it.

All take (N, 28, 28) uint8 MNIST-style images, as the page's reader does.
"""

from dataclasses import dataclass

import numpy as np

from . import layers as L
from .architecture import Conv2D, Dense, Flatten, Layer, MaxPool2D
from .input_spec import to_network_input
from .network import Network

__all__ = ["Forward", "LayerOutput", "forward", "gradient_times_input", "layer_outputs"]


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


@dataclass(frozen=True)
class Forward:
    """One forward pass, layer by layer, with what the way back needs.

    layers : the network's layers; pixels : (N, 28, 28, 1) float32 network input
    inputs, linear, outputs : per layer, its input, its output before its activation (conv
        and dense before ReLU or softmax: the last one's are the logits) and its output
    """

    layers: tuple[Layer, ...]
    pixels: np.ndarray
    inputs: tuple[np.ndarray, ...]
    linear: tuple[np.ndarray, ...]
    outputs: tuple[np.ndarray, ...]

    def layer_outputs(self) -> list[LayerOutput]:
        """Every layer's output, in order: one LayerOutput a layer."""
        return [
            LayerOutput(getattr(layer, "name", f"{layer.TYPE}{index + 1}"), layer.TYPE, values)
            for index, (layer, values) in enumerate(zip(self.layers, self.outputs, strict=True))
        ]

    def gradient_times_input(self, classes) -> np.ndarray:
        """Sensitivity of each image's score for one class to each of its pixels.

        classes : N class indices (or one for all)
        returns : (N, 28, 28) float32, d logit[class] / d pixel * pixel (pixels in [0, 1])
        """
        logits = self.linear[-1]  # (N, n_classes)
        grad = np.zeros_like(logits)  # d logit[class] / d logits
        grad[np.arange(len(logits)), np.broadcast_to(classes, len(logits))] = 1.0
        for layer, inputs, linear in zip(
            reversed(self.layers), reversed(self.inputs), reversed(self.linear), strict=True
        ):
            if _has_relu(layer):
                grad = grad * (linear > 0)  # through the ReLU
            grad = _linear_backward(layer, inputs, grad)
        return (grad * self.pixels)[..., 0]  # (N, 28, 28)


def forward(network: Network, images: np.ndarray) -> Forward:
    """Run the network on images (N, 28, 28) uint8, keeping each layer's steps' results."""
    pixels = to_network_input(images)  # (N, 28, 28, 1)
    x, inputs, linear, outputs = pixels, [], [], []
    for first, *activation in network.layer_steps:  # conv or dense, then ReLU or softmax
        inputs.append(x)
        x = first(x)
        linear.append(x)
        for step in activation:
            x = step(x)
        outputs.append(x)
    return Forward(network.layers, pixels, tuple(inputs), tuple(linear), tuple(outputs))


def layer_outputs(network: Network, images: np.ndarray) -> list[LayerOutput]:
    """Every layer's output, in order: images (N, 28, 28) uint8 -> one LayerOutput a layer."""
    return forward(network, images).layer_outputs()


def gradient_times_input(network: Network, images: np.ndarray, classes) -> np.ndarray:
    """Sensitivity of each image's score for one class to each of its pixels.

    images : (N, 28, 28) uint8; classes : N class indices (or one for all)
    returns : (N, 28, 28) float32, d logit[class] / d pixel * pixel (pixels in [0, 1])
    """
    return forward(network, images).gradient_times_input(classes)


def _has_relu(layer: Layer) -> bool:
    return isinstance(layer, Conv2D) or (isinstance(layer, Dense) and layer.activation == "relu")


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
    """A 'valid' convolution's input gradient, group by group (one group unless the layer
    is grouped): each group's output gradient goes back to that group's input channels.

    grad : (N, H_out, W_out, C_out) -> (N, H_out + kh - 1, W_out + kw - 1, C_in)
    """
    weights = layer.group_weights()
    per_group = np.split(grad, len(weights), axis=3)  # G x (N, H_out, W_out, C_out / G)
    return np.concatenate(
        [
            _group_backward(kernel, part)
            for (kernel, _), part in zip(weights, per_group, strict=True)
        ],
        axis=3,
    )


def _group_backward(kernel: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """One ungrouped convolution's input gradient (col2im): each output pixel's gradient
    goes back through the kernel to the kh x kw window of inputs it was computed from, and
    the windows' shares are summed where they overlap.

    kernel : (kh, kw, C_in, C_out) float32
    grad : (N, H_out, W_out, C_out) -> (N, H_out + kh - 1, W_out + kw - 1, C_in)
    """
    kh, kw, c_in, c_out = kernel.shape
    n, h_out, w_out, _ = grad.shape
    matrix = kernel.reshape(kh * kw * c_in, c_out)  # (K, C_out)
    zeros = np.zeros(kh * kw * c_in, np.float32)
    grad = np.ascontiguousarray(grad).reshape(-1, c_out)  # (N*H_out*W_out, C_out)
    shares = L.dense(grad, matrix.T, zeros)  # (N*H_out*W_out, K)
    shares = shares.reshape(n, h_out, w_out, kh, kw, c_in)
    out = np.zeros((n, h_out + kh - 1, w_out + kw - 1, c_in), np.float32)
    for i in range(kh):
        for j in range(kw):
            out[:, i : i + h_out, j : j + w_out] += shares[:, :, :, i, j]
    return out


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
