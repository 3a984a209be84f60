"""Tests of the NumPy trainer: layers, network, optimizers, training, MNIST files, the
book's parity."""
