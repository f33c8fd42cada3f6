"""The tester node of a test graph (`ten:test_extension`).

Its extension is made by the test session itself (ten_studio_py/session.py gives the factory for
this addon), so this package holds no addon code of its own; the file is here because a Python
package without Python code cannot run (src/runtime/app/packages.ts: nothing would register its
addon), and this one is registered by the session instead.
"""
