# The shared fixtures live next to the package so app tests and these top-level tests use the same ones.
from ylyx.conftest import private_tmp, tree, users  # noqa: F401
