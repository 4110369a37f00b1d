"""Open protocols: DCAT-AP 3 catalog, CKAN-compatible Action API, harvesting from other catalogs."""
