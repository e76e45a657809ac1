"""The workflow grammar: {{ JSONata }} templates, custom-event schemas and block checks.

Pure code (no database, no HTTP): the catalogue checks workflows with it when they load,
the runtime evaluates with it when they run.
"""
