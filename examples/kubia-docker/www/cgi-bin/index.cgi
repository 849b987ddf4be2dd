#!/bin/sh
# kubia, as in "Kubernetes in Action": answer every request with the container's hostname.
# busybox httpd runs /cgi-bin/index.cgi for "/" when there is no index.html.
printf 'Content-Type: text/plain\r\n\r\n'
echo "You've hit $(hostname)"
