"""The console's Routing editor: edit routing.yaml (comments kept), make it live or change
nothing, and keep an audit log of every attempt."""

from console.routing.apply import ApplyResult, EditTarget, RoutingEditor, edit_target
from console.routing.changes import describe_changes, unified_diff
from console.routing.check import Problem, RoutingRejected, check_routing
from console.routing.document import RoutingDocument
from console.yamldoc import DocumentError

__all__ = [
    "ApplyResult",
    "DocumentError",
    "EditTarget",
    "Problem",
    "RoutingDocument",
    "RoutingEditor",
    "RoutingRejected",
    "check_routing",
    "describe_changes",
    "edit_target",
    "unified_diff",
]
