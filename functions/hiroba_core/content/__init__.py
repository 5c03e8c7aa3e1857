"""The content model shared by the plugins: fields, parsing, publication window (no Pelican)."""
