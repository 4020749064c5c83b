"""Data in: tables, images and 2-D records, cleaned and scaled reversibly."""

from synth.data.images import ImageTransformer, as_image_batch
from synth.data.sources import EMBEDDED, RawData, load_embedded, load_source, read_csv
from synth.data.tabular import CleaningOptions, CleaningReport, TabularTransformer, clean_table

__all__ = [
    "EMBEDDED",
    "CleaningOptions",
    "CleaningReport",
    "ImageTransformer",
    "RawData",
    "TabularTransformer",
    "as_image_batch",
    "clean_table",
    "load_embedded",
    "load_source",
    "read_csv",
]
