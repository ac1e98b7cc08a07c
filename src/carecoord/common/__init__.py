"""Shared helpers with no models: errors, request context, text normalisation."""
