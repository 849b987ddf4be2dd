#!/bin/sh
# PID 1: PHP's built-in server (index.php routes every request), stopped at once on SIGTERM (php
# installs no handler, and a PID 1 without one ignores SIGTERM until the grace period ends).
php -S 0.0.0.0:80 -t /var/www/guestbook /var/www/guestbook/index.php &
trap 'kill $! 2>/dev/null; exit 0' TERM INT
wait
