# Fixture: a source outside the repository. Must be rejected as a bad header.
# tools: bash
# source: ../shared
touch "$out"
