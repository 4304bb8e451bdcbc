"""Streamlit glue shared by the pages: strings, session state, page guard, cached queries."""
