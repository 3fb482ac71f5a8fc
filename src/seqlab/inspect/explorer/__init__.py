"""The HTML explorer: one self-contained page to look inside a model while it reads an input
(:func:`explore`), and :func:`read_page` to get its data back as arrays."""
from seqlab.inspect.explorer.packing import read_page
from seqlab.inspect.explorer.page import explore, render_explorer

__all__ = ["explore", "render_explorer", "read_page"]
