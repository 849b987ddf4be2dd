#!/bin/sh
# PID 1 of the container: start httpd and exit cleanly on SIGTERM (the image's STOPSIGNAL), so that
# `kubelite stop` returns at once instead of waiting out the grace period (a PID 1 without a handler
# ignores SIGTERM, and httpd installs none).
httpd -f -p 8080 -h /www &
trap 'kill $! 2>/dev/null; exit 0' TERM INT
wait
