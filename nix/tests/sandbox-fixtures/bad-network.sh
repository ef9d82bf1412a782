# Fixture: reaches past loopback, which the Nix sandbox forbids. Must fail.
# tools: python3
# needs: netns
set -eu
python3 -c 'import socket; socket.create_connection(("1.1.1.1", 53), timeout=3)'
touch "$out"
