#!/bin/sh
# The seed's /run.sh: `redis-server --slaveof ${REDIS_MASTER_SERVICE_HOST} 6379` (replicaof today).
if [ "${GET_HOSTS_FROM:-dns}" = "env" ]; then
  master="${REDIS_MASTER_SERVICE_HOST:?the redis-master Service must exist before this pod}"
else
  master="redis-master"
fi
exec redis-server --bind 0.0.0.0 --protected-mode no --save "" --appendonly no --replicaof "$master" 6379
