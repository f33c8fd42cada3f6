"""The studio's Python side: hosts extension groups (`python -m ten_studio_py.host`) and the
ExtensionTester session of a pytest process, over framed pipes to the TypeScript runtime."""
