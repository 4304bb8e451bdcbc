"""GIS: the CRS helper, vector readers and importers, the grid integrity check, and the
overview's read model (inventory of the county)."""
