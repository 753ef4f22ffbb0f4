"""Imported once by the forkserver of a local process pool (``engines.LocalEngine``).

Importing it loads the pipeline, the jieba dictionaries and the compiled rules, so every
pool worker -- and every replacement of a recycled one -- is forked already warm.
"""
from .engines import warm

warm()
