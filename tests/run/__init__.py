"""Tests of running trials: workers, the forkserver, one trial's training, pruning, interrupts."""
