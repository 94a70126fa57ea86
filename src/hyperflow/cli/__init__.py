"""The ``hyperflow`` command line (also ``python -m hyperflow``)."""

from hyperflow.cli import _build as _build  # registers `build`
from hyperflow.cli import _govern as _govern  # registers card/audit/predictions
from hyperflow.cli import _lifecycle as _lifecycle  # registers its commands
from hyperflow.cli import _monitor as _monitor  # registers monitor and alerts
from hyperflow.cli import _retrain as _retrain  # registers retrain and events
from hyperflow.cli import _rollout as _rollout  # registers rollout and agent
from hyperflow.cli import _traffic as _traffic  # registers `hyperflow traffic`
from hyperflow.cli import _ui as _ui  # registers `hyperflow ui`
from hyperflow.cli._app import app, main
from hyperflow.cli._project import Project, ProjectError, import_ref, load_project

__all__ = ["Project", "ProjectError", "app", "import_ref", "load_project", "main"]
