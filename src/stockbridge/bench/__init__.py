"""Benchmarks behind `stockbridge bench ...`: each measures the hub against the bare database in
the same run, on a scratch database it creates and removes, and ends with one JSON line.
"""
