"""Synthetic demo data: a reproducible county with townships, grid cells, sites and deputies."""
