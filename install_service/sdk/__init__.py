"""The frontend SDK on the wire: ``embedded.js`` minified, precompressed and cached.

``build.mjs`` (esbuild, at setup and wheel build) writes the bundle; ``bundle`` loads it;
``controllers`` serves it.
"""
