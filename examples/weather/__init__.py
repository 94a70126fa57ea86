"""The end-to-end weather example (``make demo`` runs ``python -m examples.weather``)."""
