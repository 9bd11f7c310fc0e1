"""Small-cell suppression: the one layer every table passes before a renderer sees it
(domain brief §2). Declare a table with `TableSpec`, call `suppress`, render
`Suppressed.display`, chart `Suppressed.numeric()`, and scan outputs with `find_disclosures`.
"""

from utfall.evaluation.suppression.core import Suppressed, resolve_threshold, suppress
from utfall.evaluation.suppression.scan import find_disclosures
from utfall.evaluation.suppression.spec import HIDDEN, Reason, TableSpec, legend_sv, small_label

__all__ = [
    "HIDDEN",
    "Reason",
    "Suppressed",
    "TableSpec",
    "find_disclosures",
    "legend_sv",
    "resolve_threshold",
    "small_label",
    "suppress",
]
