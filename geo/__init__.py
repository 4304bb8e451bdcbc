"""The county in PostGIS: database, models, grid hierarchy, importers and the CRS helper."""
