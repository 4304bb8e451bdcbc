"""水监 Shuijian web server: the Streamlit app and its sign-in gate on one host and port.

``shuijian serve`` runs ``streamlit run web.py``; Streamlit finds the ``st.App`` below and
serves it with uvicorn. The gate (ui/gate.py) adds the sign-in and sign-out routes, which can
set an HttpOnly cookie as a page script cannot, and the middleware that sends a page request
without a live session to the sign-in form; ui/tiles.py serves the offline basemap's tiles,
ui/vector_tiles.py the coverage map's vector tiles (behind the session cookie).
streamlit_app.py stays the page script.
"""

from __future__ import annotations

import os

import streamlit as st
from starlette.middleware import Middleware

from ui import gate, tiles, vector_tiles

# Page runs in this process trust only the session cookie (ui.session.restore).
os.environ["SHUIJIAN_GATE"] = "1"

app = st.App(
    "streamlit_app.py",
    routes=[*gate.routes(), *tiles.routes(), *vector_tiles.routes()],
    middleware=[Middleware(gate.SignInGate)],
)

if __name__ == "__main__":
    app.run()
