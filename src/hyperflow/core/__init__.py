"""The workflow model: nodes, pipelines, variants, search spaces and config. Pure data, no I/O."""

from hyperflow.core._config import Param, SearchSpace
from hyperflow.core._node import FunctionNode, NestedNode, Node, NodeOptions, node
from hyperflow.core._pipeline import Pipeline
from hyperflow.core._plan import NestedStep, Plan, Step
from hyperflow.core._service import (
    DEFAULT_MAX_UPLOAD_BYTES,
    STATE_INPUT,
    Batching,
    Service,
    endpoint_log_name,
)
from hyperflow.core._spaces import Bool, Choice, Float, Int, Space
from hyperflow.core._view import GraphView, VCluster, VEdge, VNode, graph_view

__all__ = [
    "DEFAULT_MAX_UPLOAD_BYTES",
    "STATE_INPUT",
    "Batching",
    "Bool",
    "Choice",
    "Float",
    "FunctionNode",
    "GraphView",
    "Int",
    "NestedNode",
    "NestedStep",
    "Node",
    "NodeOptions",
    "Param",
    "Pipeline",
    "Plan",
    "SearchSpace",
    "Service",
    "Space",
    "Step",
    "VCluster",
    "VEdge",
    "VNode",
    "endpoint_log_name",
    "graph_view",
    "node",
]
