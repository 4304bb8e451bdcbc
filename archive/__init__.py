"""The public archive (公示): what anyone may see of the patrols, without contact data."""
