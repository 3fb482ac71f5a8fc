"""Convolution and pooling layers (filled in by the convolution work)."""
__all__: list[str] = []
