"""Tests of the store: models, schema and migrations, trials, the queue, liveness, races."""
