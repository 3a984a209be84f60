"""The tests, a folder per layer of the package; end_to_end/ runs the whole program."""
