"""The bare Django app `bench/ingest.py` compares intake with: one view inserting one
row, one view bulk-creating many, into a plain table, nothing else."""
