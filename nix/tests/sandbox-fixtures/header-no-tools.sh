# Fixture: no `# tools:` line. Must be rejected as a bad header.
# source: nix
touch "$out"
