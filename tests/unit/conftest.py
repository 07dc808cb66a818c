"""The parts the writer works on: a real SQLite log and a projections file."""
import pytest

from domain.application import Botbus
from projections.db import open_projections
from projections.projector import Projector


@pytest.fixture
def parts(tmp_path):
    app = Botbus.open(tmp_path)
    projector = Projector(app.recorder, app.mapper,
                          open_projections(tmp_path / "p.db", handed_over=True))
    yield app, projector
    app.close()


@pytest.fixture(params=[True, False], ids=["inline", "log thread"])
def inline(request) -> bool:
    """The writer appends on the loop (the SQLite log) or on the log's thread (PostgreSQL)."""
    return request.param
