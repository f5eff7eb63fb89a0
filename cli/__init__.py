"""The ``likeness`` command (``cli.main``): set-up without the web UI, and bulk import over HTTP."""
