"""Sources: one module per system. Each turns raw responses into events (``parse``), and the live
connectors fetch those raw responses (``collect``). Replaying a bundle runs the same parsers."""
