"""Preprocessing layers that live inside a model and save with it: text to ids, lookups,
normalization, category encoding and discretization (Keras's ``keras.layers`` names)."""
from seqlab.layers.preprocessing.base import PreprocessingLayer
from seqlab.layers.preprocessing.category_encoding import CategoryEncoding
from seqlab.layers.preprocessing.discretization import Discretization
from seqlab.layers.preprocessing.index_lookup import IndexLookup
from seqlab.layers.preprocessing.lookups import IntegerLookup, StringLookup
from seqlab.layers.preprocessing.normalization import Normalization
from seqlab.layers.preprocessing.text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "Discretization", "IndexLookup", "IntegerLookup", "Normalization",
           "PreprocessingLayer", "StringLookup", "TextVectorization"]
