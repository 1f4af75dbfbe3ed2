"""What the MOM and the balance summary print about each balance condition of a site.

The values and the verdict live in `sons.domain.evidence`, the one place where a condition's
verdict is decided (the readiness of `sons evidence status` uses the same rule); the documents
only lay them out. Re-exported here for the documents and their callers.
"""

from __future__ import annotations

from sons.domain.evidence import (
    ConditionStatus,
    FlowEvidence,
    Verdict,
    condition_verdict,
    order_verdict,
)

__all__ = ["ConditionStatus", "FlowEvidence", "Verdict", "condition_verdict", "order_verdict"]
