"""How traced imports become requirements: synthetic modules and packages that only another
package imported (when installed) are not the bundle's requirements."""

from __future__ import annotations

from pathlib import Path

from hyperflow.deploy._requirements import Trace, _classify, pinned_requirements


def test_a_synthetic_module_with_a_relative_file_counts_as_its_package(tmp_path: Path) -> None:
    local = tmp_path / "mymodel.py"
    local.write_text("x = 1\n")
    # torch.ops reports __file__ '_ops.py': not a file of the project
    trace = _classify({"torch": None, "torch.ops": "_ops.py", "mymodel": str(local)})
    assert trace.local == {"mymodel": local}
    assert "torch" in trace.packages


def test_a_package_only_a_dependency_imported_is_not_a_requirement(tmp_path: Path) -> None:
    import sklearn  # installed: a root of the bundle through the predict module

    local = tmp_path / "mymodel.py"
    local.write_text("import sklearn\n")
    files = {
        "mymodel": str(local), "sklearn": sklearn.__file__, "scipy": None,
        "prometheus_client": None,
    }
    importers = {"sklearn": "mymodel", "scipy": "sklearn.utils", "prometheus_client": "hyperflow.serve"}
    trace = _classify(files, importers)
    assert trace.incidental == {"scipy"}  # hyperflow's own imports are not incidental
    names = {line.split("==")[0].split("[")[0] for line in pinned_requirements(trace, {"sklearn"})}
    assert "scikit-learn" in names and "scipy" in names  # scikit-learn declares scipy
    lone = Trace({}, {"torch"}, frozenset({"torch"}))
    names = {line.split("==")[0] for line in pinned_requirements(lone, set())}
    assert "torch" not in names
    names = {line.split("==")[0] for line in pinned_requirements(Trace({}, {"torch"}), set())}
    assert "torch" in names  # imported by the project's own code: required
