"""What the page's "look inside" panel shows, and the original network's plain reading.

Both start from the 28x28 image the page's answer was computed from (the result's
``image``: 784 bytes, row by row, white ink on black), never from the canvas again.

* :func:`look_inside` -- every layer's output (``explain.forward``: one forward pass on the
  upright image), the first layer's kernels, the final scores and the sensitivity maps
  (gradient x input, from that same pass) of the two classes the network scores highest.
  Packed small for the page: a layer's maps as uint8, scaled between the layer's own
  minimum and maximum; signed values (kernels, sensitivity) as uint8 around 128, scaled
  by their largest magnitude. About 20 KB for the default network.
* :func:`plain_reading` -- a network's softmax on the upright image alone: no rotated views,
  no calibration and no refusal (the original network has none of them).
"""

import numpy as np

from . import explain
from .architecture import Conv2D, Layer
from .input_spec import IMAGE_SIZE, to_network_input
from .network import Network

SENSITIVITY_QUANTILE = 0.95  # the sensitivity maps' full colour: this quantile of |value|

__all__ = [
    "SENSITIVITY_QUANTILE",
    "image_from_bytes",
    "look_inside",
    "plain_reading",
    "quantise",
    "quantise_signed",
]


def image_from_bytes(data: bytes) -> np.ndarray:
    """The page's 28x28 image, 784 bytes row by row -> (1, 28, 28) uint8.

    Raises ValueError for any other length.
    """
    if len(data) != IMAGE_SIZE * IMAGE_SIZE:
        raise ValueError(f"expected {IMAGE_SIZE * IMAGE_SIZE} image bytes, got {len(data)}")
    return np.frombuffer(data, dtype=np.uint8).reshape(1, IMAGE_SIZE, IMAGE_SIZE)


def quantise(values: np.ndarray) -> tuple[bytes, float, float]:
    """Values as bytes 0..255 between their minimum ``lo`` and maximum ``hi``.

    values : float32 array, any shape -> (its bytes in C order, lo, hi); a value v becomes
        round((v - lo) / (hi - lo) * 255), and every value 0 when hi == lo
    """
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo if hi > lo else 1.0
    scaled = np.rint((values - np.float32(lo)) * np.float32(255 / span))
    return scaled.astype(np.uint8).tobytes(), lo, hi


def quantise_signed(values: np.ndarray, scale: float | None = None) -> tuple[bytes, float]:
    """Signed values as bytes around 128, scaled by ``scale`` (default: their largest
    magnitude; larger magnitudes are clipped).

    values : float32 array, any shape -> (its bytes in C order, scale); a value v becomes
        128 + round(clip(v / scale, -1, 1) * 127): 1 is -scale, 128 is 0, 255 is +scale
        (scale 1 when it would be 0)
    """
    scale = float(np.abs(values).max() if scale is None else scale) or 1.0
    scaled = np.rint(np.clip(values * np.float32(1 / scale), -1, 1) * np.float32(127)) + 128
    return scaled.astype(np.uint8).tobytes(), scale


def look_inside(network: Network, image: np.ndarray) -> dict:
    """Everything the panel draws for one image.

    image : (1, 28, 28) uint8 MNIST-style (:func:`image_from_bytes`)
    returns : {layers: [layer, ...] in order (see :func:`_layer`), kernels: the first
        layer's (see :func:`_kernels`, None unless it is a convolution), scores: the last
        layer's output (softmax probabilities, upright image only, uncalibrated), classes:
        the class names, sensitivity: {top, runnerUp} (see :func:`_sensitivity`)}
    """
    # Two copies of the image: one pass forward, then one pass back for both classes.
    passed = explain.forward(network, np.repeat(image, 2, axis=0))  # (2, 28, 28)
    outputs = passed.layer_outputs()
    scores = outputs[-1].values[0]  # (n_classes,)
    runner_up, top = (int(c) for c in np.argsort(scores)[-2:])
    maps = passed.gradient_times_input(np.array([top, runner_up]))  # (2, 28, 28)
    n_classes = len(scores)
    names = list(network.meta.get("classes") or [])
    return {
        "layers": [_layer(output) for output in outputs],
        "kernels": _kernels(network.layers[0]),
        "scores": scores.tolist(),
        "classes": names if len(names) == n_classes else [str(c) for c in range(n_classes)],
        "sensitivity": {
            "top": _sensitivity(top, maps[0]),
            "runnerUp": _sensitivity(runner_up, maps[1]),
        },
    }


def _layer(output: explain.LayerOutput) -> dict:
    """One layer's output for the panel.

    {name, kind, shape: [H, W, C] or [n], values: uint8 bytes (channel by channel, each
    H x W row by row, for maps; the n values for vectors), lo, hi: the float range the
    bytes span (:func:`quantise`), strongest: the channel with the largest mean (maps) or
    the largest value (vectors)}
    """
    values = output.values[0]  # (H, W, C) or (n,)
    if values.ndim == 3:
        channels = np.ascontiguousarray(values.transpose(2, 0, 1))  # (C, H, W)
        strongest = int(channels.mean(axis=(1, 2)).argmax())
    else:
        channels = values  # (n,)
        strongest = int(values.argmax())
    data, lo, hi = quantise(channels)
    return {
        "name": output.name,
        "kind": output.kind,
        "shape": list(values.shape),
        "values": data,
        "lo": lo,
        "hi": hi,
        "strongest": strongest,
    }


def _kernels(layer: Layer) -> dict | None:
    """A first convolution's kernels, one small map per output channel.

    {name, shape: [kh, kw, C], values: uint8 bytes, channel by channel, kh x kw each
    (:func:`quantise_signed`: 128 is 0), scale}; None for another first layer, or a
    convolution of more than one input channel
    """
    if not isinstance(layer, Conv2D) or layer.kernel.shape[2] != 1:
        return None
    kh, kw, _, c = layer.kernel.shape
    kernels = np.ascontiguousarray(layer.kernel[:, :, 0].astype(np.float32).transpose(2, 0, 1))
    data, scale = quantise_signed(kernels)  # kernels: (C, kh, kw)
    return {"name": layer.name, "shape": [kh, kw, c], "values": data, "scale": scale}


def _sensitivity(label: int, values: np.ndarray) -> dict:
    """One class's sensitivity map for the panel.

    values : (28, 28) float32 gradient x input of the class's logit
    returns : {class, values: 784 uint8 bytes (:func:`quantise_signed` with the scale
        SENSITIVITY_QUANTILE of the inked pixels' magnitudes reach: a few strong pixels would
        leave the rest too faint to see), scale, for: the sum of the positive values,
        against: the sum of the negative ones' magnitudes}
    """
    inked = np.abs(values[values != 0])
    data, scale = quantise_signed(
        values, float(np.quantile(inked, SENSITIVITY_QUANTILE)) if inked.size else None
    )
    return {
        "class": label,
        "values": data,
        "scale": scale,
        "for": float(values[values > 0].sum()),
        "against": float(-values[values < 0].sum()),
    }


def plain_reading(network: Network, image: np.ndarray) -> dict:
    """The network's own answer for the upright image: its softmax, nothing else.

    image : (1, 28, 28) uint8 MNIST-style
    returns : {state: "result", digit: the most probable class, confidence: its softmax
        probability (not calibrated), probs: every class's}
    """
    probs = network.predict_proba(to_network_input(image))[0]  # (n_classes,)
    digit = int(probs.argmax())
    return {
        "state": "result",
        "digit": digit,
        "confidence": float(probs[digit]),
        "probs": probs.tolist(),
    }
