import pytest


@pytest.fixture(autouse=True)
def private_tmp(settings, tmp_path):
    """Each test gets its own private area, so 'the temp file is gone' is checked exactly."""
    settings.PRIVATE_TMP_DIR = tmp_path / "private"
    return tmp_path / "private" / "imports"
