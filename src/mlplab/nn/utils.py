"""Utilities over a model's parameters: gradient clipping."""
