"""Running plans: here or on Dask, the files they write, the truth beside them,
batches and frames larger than memory.
"""
