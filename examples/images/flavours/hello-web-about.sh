#!/bin/sh
# hello-web-about.sh is a flavour script for hello-web:1.0: it runs inside
# a jail on a copy of the image's root file system (as root, /bin/sh is
# busybox) and adds an /about.html page. Build the flavoured image with:
#
#   wharf image build -name hello-web -tag 1.1 \
#       -from hello-web:1.0 -from-dir examples/images/out \
#       -script examples/images/flavours/hello-web-about.sh \
#       -env GREETING="flavoured by wharf" -out examples/images/out
#
# (or -from http://127.0.0.1:9080/hello-web:1.0 to start from the registry).
# The jail shares the host's network, so a script for a Debian-based image
# could run apt-get here; this one needs nothing from outside.
set -eu

cat > /www/about.html <<HTML
<!doctype html>
<title>about</title>
<p>${GREETING:-hello-web, flavoured}</p>
HTML
chmod 0644 /www/about.html
echo "added /www/about.html"
