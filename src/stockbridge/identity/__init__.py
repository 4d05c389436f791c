"""Customer identity resolution: normalise, block, score, cluster and build golden records.

The library surface is re-exported here; everything else is an implementation module.

    from stockbridge.identity import CustomerRecord, resolve
    result = resolve(records, today=date.today())
    result.cluster_ids()   # one cluster id (the id of its first record) per input record
"""

from stockbridge.identity.explain import PairExplanation, explain_near_threshold, explain_pair
from stockbridge.identity.generator import GeneratedData, generate_customers
from stockbridge.identity.golden import GoldenRecord, build_golden_record
from stockbridge.identity.records import CustomerRecord
from stockbridge.identity.resolver import LabelledPair, Resolution, ResolverConfig, resolve

__all__ = [
    "CustomerRecord",
    "GeneratedData",
    "GoldenRecord",
    "LabelledPair",
    "PairExplanation",
    "Resolution",
    "ResolverConfig",
    "build_golden_record",
    "explain_near_threshold",
    "explain_pair",
    "generate_customers",
    "resolve",
]
