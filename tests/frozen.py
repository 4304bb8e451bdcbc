"""Run a module on the test clock: ``python -m tests.frozen <module> [args...]``.

A subprocess a test starts (a Streamlit server, the outbox sender) must see the same day as
the test that filled its database (``SHUIJIAN_TEST_DATE``), so the clock is moved here before
the module runs as ``__main__``. Without the variable it is a plain ``python -m <module>``.
"""

from __future__ import annotations

import runpy
import sys

from tests.clock import start_travel

if __name__ == "__main__":
    start_travel()
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
