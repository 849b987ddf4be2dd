#!/bin/sh
# PID 1: write the page (version and pod name), serve it on port 3000, and exit at once on SIGTERM
# (httpd installs no handler, and a PID 1 without one ignores SIGTERM until the grace period ends).
mkdir -p /www
echo "Hello World! docker-demo $(cat /version) on $(hostname)" > /www/index.html
httpd -f -p 3000 -h /www &
trap 'kill $! 2>/dev/null; exit 0' TERM INT
wait
