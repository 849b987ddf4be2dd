#!/bin/sh
# Redis for the guestbook's writes. As the seed's image does, the board starts with one message,
# "hello,world", written once the server answers (only into an empty board).
redis-server --bind 0.0.0.0 --protected-mode no --save "" --appendonly no &
until redis-cli ping >/dev/null 2>&1; do sleep 0.1; done
[ "$(redis-cli exists messages)" = 1 ] || redis-cli rpush messages "hello,world" >/dev/null
trap 'kill $! 2>/dev/null; wait $!; exit 0' TERM INT
wait
