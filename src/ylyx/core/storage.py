"""Static files storage for production: WhiteNoise's hashed and compressed files, minus source maps.

Vendored libraries (Leaflet) keep their ``sourceMappingURL`` comment but ship without the ``.map``
file; Django's manifest storage would fail ``collectstatic`` on the missing file, so those comments
are left as they are (a browser only asks for a map when its developer tools are open).
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    def keep(p) -> bool:
        regex = p[0] if isinstance(p, tuple) else p
        return "sourceMappingURL" not in regex

    return tuple((glob, tuple(p for p in pats if keep(p))) for glob, pats in patterns)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
