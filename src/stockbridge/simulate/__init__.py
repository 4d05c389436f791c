"""The trading simulator and chaos harness: the hub in its real processes against the emulated stores.

scenarios   the named scenarios, as data
population  seeded shoppers placing storefront orders on the emulators
warehouse   receipts, shipping, returns, transfers and counts through the hub API (its own book)
erp         the ERP of a file-drop warehouse: snapshot and movement files in a drop folder
faults      the seeded fault schedule (emulator switches, offline warehouses, SIGKILLed processes)
processes   emulators and the hub's own commands (`serve`, `sync worker`, `inbound run`, and
            `files watch` for a file-drop warehouse) as subprocesses on loopback
metrics     the workers' Prometheus numbers, added up across worker restarts
world       catalogs, connections, bindings and webhook subscriptions
quiesce     reading the world and waiting until it is at rest
audit       the independent audit (truth from the emulators and the warehouse book)
report      the JSON summary and its human rendering
runner      one run, end to end
cli         `stockbridge simulate` and `stockbridge demo`
"""
