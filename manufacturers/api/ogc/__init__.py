"""OGC API - Features, Part 1: Core, with the GeoJSON and OpenAPI 3.0 conformance classes.

QGIS, ArcGIS and GDAL open the sites as a layer from /api/ogc/ with no plug-in.
"""
