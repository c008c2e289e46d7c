"""Notebook loaders, one module per capability: open the store read-only for one call and return a result."""
