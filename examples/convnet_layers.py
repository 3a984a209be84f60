"""The convolution and pooling layers of the book's chapter 7, in NumPy, over
``im2col``/``col2im``, with the book's layer contract (``forward(x, train=...)``,
``backward(dout)``, gradients in ``dW``/``db``): what :mod:`examples.simple_convnet`
builds its network of."""

from __future__ import annotations

import numpy as np


def output_size(size: int, window: int, stride: int, pad: int) -> int:
    """How many positions a window of ``window`` takes along ``size`` (padded by ``pad``)."""
    return (size + 2 * pad - window) // stride + 1


def im2col(x: np.ndarray, fh: int, fw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Every (FH, FW) window of the images ``x`` (N, C, H, W) as a row: (N*OH*OW, C*FH*FW).

    The rows run over images, then output rows, then output columns; a row holds the
    window's channels, each (FH, FW) in reading order."""
    n, c, h, w = x.shape
    oh, ow = output_size(h, fh, stride, pad), output_size(w, fw, stride, pad)
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (fh, fw), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]  # (N, C, OH, OW, FH, FW), a view
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * fh * fw)


def col2im(
    cols: np.ndarray, shape: tuple[int, ...], fh: int, fw: int, stride: int = 1, pad: int = 0
) -> np.ndarray:
    """The transpose of :func:`im2col`: each entry of ``cols`` added back to the pixel of
    the images of ``shape`` (N, C, H, W) it was read from (overlapping windows sum)."""
    n, c, h, w = shape
    oh, ow = output_size(h, fh, stride, pad), output_size(w, fw, stride, pad)
    windows = cols.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 4, 5, 1, 2)  # (N,C,FH,FW,OH,OW)
    images = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=cols.dtype)
    for row in range(fh):  # one offset inside the window at a time: all windows at once
        for column in range(fw):
            rows = slice(row, row + stride * oh, stride)
            columns = slice(column, column + stride * ow, stride)
            images[:, :, rows, columns] += windows[:, :, row, column]
    return images[:, :, pad : pad + h, pad : pad + w]


class Convolution:
    """``out[n, f] = sum over c of x[n, c] * W[f, c] (cross-correlation) + b[f]``.

    ``W`` is (FN, C, FH, FW), ``b`` (FN,); (N, C, H, W) in, (N, FN, OH, OW) out."""

    def __init__(self, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> None:
        self.W, self.b = W, b
        self.stride, self.pad = stride, pad
        self.x_shape: tuple[int, ...] = ()
        self.cols: np.ndarray | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        filters, _, fh, fw = self.W.shape
        n, _, h, w = x.shape
        oh, ow = (
            output_size(h, fh, self.stride, self.pad),
            output_size(w, fw, self.stride, self.pad),
        )
        self.x_shape = x.shape
        self.cols = im2col(x, fh, fw, self.stride, self.pad)  # (N*OH*OW, C*FH*FW)
        out = self.cols @ self.W.reshape(filters, -1).T + self.b  # (N*OH*OW, FN)
        return out.reshape(n, oh, ow, filters).transpose(0, 3, 1, 2)  # (N, FN, OH, OW)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        assert self.cols is not None, "backward before forward"
        filters, _, fh, fw = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, filters)  # (N*OH*OW, FN), a copy
        self.db = dout.sum(axis=0)
        self.dW = (dout.T @ self.cols).reshape(self.W.shape)
        dcols = dout @ self.W.reshape(filters, -1)  # (N*OH*OW, C*FH*FW)
        return col2im(dcols, self.x_shape, fh, fw, self.stride, self.pad)


class Pooling:
    """Max pooling of each channel over (PH, PW) windows; the stride is the window's
    height unless given. (N, C, H, W) in, (N, C, OH, OW) out."""

    def __init__(self, ph: int, pw: int, stride: int | None = None, pad: int = 0) -> None:
        self.ph, self.pw = ph, pw
        self.stride = ph if stride is None else stride
        self.pad = pad
        self.x_shape: tuple[int, ...] = ()
        self.argmax: np.ndarray | None = None

    def _channels(self, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """Each channel as an image of its own: pooling is im2col of one channel."""
        n, c, h, w = shape
        return n * c, 1, h, w

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        n, c, h, w = x.shape
        oh = output_size(h, self.ph, self.stride, self.pad)
        ow = output_size(w, self.pw, self.stride, self.pad)
        self.x_shape = x.shape
        windows = im2col(
            x.reshape(self._channels(x.shape)), self.ph, self.pw, self.stride, self.pad
        )
        self.argmax = windows.argmax(axis=1)  # (N*C*OH*OW,) the winner of each window
        out = windows[np.arange(len(windows)), self.argmax]
        return out.reshape(n, c, oh, ow)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        assert self.argmax is not None, "backward before forward"
        dwindows = np.zeros((dout.size, self.ph * self.pw), dtype=dout.dtype)
        dwindows[np.arange(dout.size), self.argmax] = dout.reshape(-1)  # to each winner
        channels = self._channels(self.x_shape)
        dx = col2im(dwindows, channels, self.ph, self.pw, self.stride, self.pad)
        return dx.reshape(self.x_shape)
