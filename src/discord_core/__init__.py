"""The framework-free heart of the chat service.

Domain model, limits, permission rules, domain events, ports and use cases.
Imports only the Python standard library (checked by import-linter and a unit test).
"""
