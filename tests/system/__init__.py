"""System tests: the whole program running in its production shape (see `tests.system.soak`)."""
