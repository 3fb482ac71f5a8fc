"""Recurrent layers (filled in by the recurrent-layers work)."""
__all__: list[str] = []
