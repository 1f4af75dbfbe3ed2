"""sons — the Ségur SONS funding scheme, for vendors and for the payment operator."""

__version__ = "0.1.0"
