"""The `shuijian` command line (entry point: `cli.main:app`)."""
