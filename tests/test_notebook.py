"""examples/quickstart.ipynb runs top to bottom in a fresh kernel, so it cannot rot.

The notebook loads the session's small trained model (``REGIME_QUICKSTART_MODEL``)
instead of training the full demo, and is executed in memory: nothing is written
back to the file or into the repository.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOK = EXAMPLES / "quickstart.ipynb"


def _snapshot(*folders: Path) -> set[Path]:
    return {p for folder in folders for p in folder.rglob("*")}


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "".join(parts)


def test_quickstart_notebook_runs(
    trained_model: Path,
    cli_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = NOTEBOOK.read_text(encoding="utf-8")
    nb = nbformat.reads(source, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit the notebook with its outputs cleared"
    )
    # Which interpreter runs the kernel: the one running the tests (in memory only).
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))
    env = {
        **cli_env,
        "REGIME_QUICKSTART_MODEL": str(trained_model),
        "XDG_CACHE_HOME": str(tmp_path / "xdg_cache"),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
        # the venv's own kernelspec (installed by ipykernel) before any user/system one
        "JUPYTER_PATH": os.pathsep.join(
            p
            for p in (str(Path(sys.prefix) / "share" / "jupyter"), os.environ.get("JUPYTER_PATH"))
            if p
        ),
    }
    before = _snapshot(EXAMPLES, ROOT / "models")

    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    monkeypatch.setenv("JUPYTER_PATH", env["JUPYTER_PATH"])
    client.execute(env=env)

    assert NOTEBOOK.read_text(encoding="utf-8") == source
    assert _snapshot(EXAMPLES, ROOT / "models") == before
    code = {c.get("id"): c for c in nb.cells if c.cell_type == "code"}
    assert Path(_text(nb.cells[-1]).strip()) == Path(sys.executable)
    assert "P(sustained small-cap outperformance)" in _text(code["score"])
    assert _text(code["explain"]).strip()
    assert "text/html" in code["features"]["outputs"][0]["data"]
    assert _text(code["whatif"]).strip()
    assert _text(code["analogs-rule"]).strip()
    images = [o for o in code["history"]["outputs"] if "image/png" in o.get("data", {})]
    assert images, "plot_history produced no image"
