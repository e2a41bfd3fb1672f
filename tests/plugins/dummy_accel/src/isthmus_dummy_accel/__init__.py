"""Out-of-tree accelerator plugin for the tests (filled in by the accel package)."""
