"""kiemdich: digital tools for epidemic control (checkpoints, scans, declarations, tracing)."""
