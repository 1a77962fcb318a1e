# Start scim2-server with SIGINT restored (background jobs of non-interactive shells ignore SIGINT),
# so that `kill -INT` makes it write --dump-resources.
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from scim2_server.testserver.cli import main
sys.argv[0] = "scim2-server"
main()
