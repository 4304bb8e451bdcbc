"""Map building: the only place that creates folium maps (offline basemap, styled layers)."""
