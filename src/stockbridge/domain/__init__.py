"""Pure rules of the hub: quantities and states, units, inventory events, available-to-sell.

Nothing in this package performs I/O or imports the database, HTTP or web layers.
"""
