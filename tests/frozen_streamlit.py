"""Run Streamlit with the test clock: ``python -m tests.frozen_streamlit run app.py ...``.

A browser test's server is a separate process; it must see the same day as the test that
filled its database (``SHUIJIAN_TEST_DATE``), so the clock is moved here before Streamlit's
own command line starts.
"""

from __future__ import annotations

import sys

from tests.clock import start_travel

if __name__ == "__main__":
    start_travel()
    from streamlit.web.cli import main

    sys.argv[0] = "streamlit"
    sys.exit(main())
