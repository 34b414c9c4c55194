#!/bin/sh
# build.sh builds the example images from files that Debian packages
# installed on this machine (nothing is downloaded from anywhere else) and
# pushes them to a wharf registry.
#
#   hello-web:1.0                      busybox httpd serving one page
#   nginx-nomad-amd64-13_1:1.1.13      Debian's nginx, the seed job's image
#
# Usage: examples/images/build.sh [-n] [-o OUT_DIR]
#
#   -n            build only, do not push (same as BUILD_ONLY=1)
#   -o OUT_DIR    write the image files there (default examples/images/out)
#
# Environment:
#   WHARF_REGISTRY             registry URL (default http://127.0.0.1:9080)
#   WHARF_REGISTRY_TOKEN       upload token, or
#   WHARF_REGISTRY_TOKEN_FILE  file holding it (the dev agent prints its path)
#   WHARF_BIN                  wharf binary (default: ./bin/wharf, built from this checkout)
#   SOURCE_DATE_EPOCH          manifest creation time (default: the date of
#                              the installed nginx package's changelog entry)
#   BUILD_ONLY=1               same as -n
#   OUT_DIR                    same as -o
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/scripts/lib.sh"

build_only=${BUILD_ONLY:-0}
out=${OUT_DIR:-$here/out}
while getopts no: opt; do
	case $opt in
	n) build_only=1 ;;
	o) out=$OPTARG ;;
	*) echo "usage: $0 [-n] [-o OUT_DIR]" >&2; exit 2 ;;
	esac
done

registry=${WHARF_REGISTRY:-http://127.0.0.1:9080}
token_file=""
if [ "$build_only" != 1 ]; then
	if [ -n "${WHARF_REGISTRY_TOKEN_FILE:-}" ]; then
		if [ ! -r "$WHARF_REGISTRY_TOKEN_FILE" ]; then
			echo "build.sh: cannot read WHARF_REGISTRY_TOKEN_FILE=$WHARF_REGISTRY_TOKEN_FILE" >&2
			exit 1
		fi
		token_file=$WHARF_REGISTRY_TOKEN_FILE
	elif [ -z "${WHARF_REGISTRY_TOKEN:-}" ]; then
		cat >&2 <<EOF
build.sh: no registry upload token.
  The dev agent prints where it wrote its token:
    Registry: http://127.0.0.1:9080  (upload token in /tmp/wharf-dev-XXXX/registry-token)
  then run:
    export WHARF_REGISTRY_TOKEN_FILE=/tmp/wharf-dev-XXXX/registry-token
  or build without pushing: $0 -n
EOF
		exit 1
	fi
fi

# nginx lives in /usr/sbin, which is not on every user's PATH.
PATH="$PATH:/usr/sbin:/sbin"
export PATH
need_pkgs busybox:busybox nginx:nginx

# Without WHARF_BIN, build wharf from this checkout every time (it is
# quick): an older ./bin/wharf may lack the image commands.
wharf=${WHARF_BIN:-}
if [ -z "$wharf" ]; then
	need_go
	wharf=$root/bin/wharf
	echo "build.sh: building $wharf" >&2
	(cd "$root" && go build -o "$wharf" ./cmd/wharf)
fi

# SOURCE_DATE_EPOCH pins the manifests' creation time, so two runs on the
# same packages give byte-identical images.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	d=$(zcat /usr/share/doc/nginx/changelog.Debian.gz 2>/dev/null |
		sed -n 's/^ -- .*>  //p' | head -n 1) || d=""
	SOURCE_DATE_EPOCH=1700000000
	if [ -n "$d" ]; then
		SOURCE_DATE_EPOCH=$(date -u -d "$d" +%s 2>/dev/null) || SOURCE_DATE_EPOCH=1700000000
	fi
fi
export SOURCE_DATE_EPOCH

umask 022
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-images.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$out"

# copy_bin copies binary $1 to $3 (a path inside rootfs $2) with every
# shared library ldd lists and the dynamic loader, at their own paths.
copy_bin() {
	install -D -m 0755 "$1" "$2$3"
	ldd "$1" 2>/dev/null | awk '
		$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }' | sort -u | while read -r lib; do
		[ -e "$2$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$2$lib"
	done
}

# add_busybox puts busybox in rootfs $1 as /bin/busybox with a symlink for
# each of its applets (so /bin/sh exists for `wharf alloc exec`).
add_busybox() {
	copy_bin "$(command -v busybox)" "$1" /bin/busybox
	busybox --list-full | sort | while read -r app; do
		[ -e "$1/$app" ] && continue
		mkdir -p "$1/$(dirname "$app")"
		ln -s /bin/busybox "$1/$app"
	done
	[ -e "$1/bin/sh" ] || ln -s busybox "$1/bin/sh"
}

# add_etc writes the small /etc files every image gets from directory $2.
add_etc() {
	install -D -m 0644 "$2/passwd" "$1/etc/passwd"
	install -D -m 0644 "$2/group" "$1/etc/group"
}

# build_hello_web builds hello-web:1.0 into $out.
build_hello_web() {
	r=$work/hello-web
	mkdir -p "$r/www" "$r/tmp" "$r/dev"
	chmod 1777 "$r/tmp"
	add_busybox "$r"
	add_etc "$r" "$here/hello-web"
	install -m 0644 "$here/hello-web/index.html" "$r/www/index.html"
	"$wharf" image build -name hello-web -tag 1.0 -out "$out" \
		-cmd "/bin/busybox httpd -f -v -p 80 -h /www" \
		-env PATH=/usr/sbin:/usr/bin:/sbin:/bin -port 80 "$r" >/dev/null
}

# build_nginx builds the seed job's nginx image into $out.
build_nginx() {
	r=$work/nginx
	mkdir -p "$r/tmp" "$r/dev" "$r/run" "$r/var/log/nginx" "$r/var/lib/nginx" \
		"$r/usr/share/nginx/html"
	chmod 1777 "$r/tmp"
	copy_bin /usr/sbin/nginx "$r" /usr/sbin/nginx
	add_busybox "$r"
	add_etc "$r" "$here/nginx"
	install -m 0644 "$here/nginx/nsswitch.conf" "$r/etc/nsswitch.conf"
	install -D -m 0644 /etc/nginx/mime.types "$r/etc/nginx/mime.types"
	install -m 0644 "$here/nginx/nginx.conf" "$r/etc/nginx/nginx.conf"
	install -m 0644 "$here/nginx/index.html" "$r/usr/share/nginx/html/index.html"
	"$wharf" image build -name nginx-nomad-amd64-13_1 -tag 1.1.13 -out "$out" \
		-cmd "/usr/sbin/nginx -g 'daemon off;'" \
		-env PATH=/usr/sbin:/usr/bin:/sbin:/bin -port 80 "$r" >/dev/null
}

images="hello-web:1.0 nginx-nomad-amd64-13_1:1.1.13"
build_hello_web
build_nginx

echo "==> Built (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH) in $out"
for img in $images; do
	f=$out/${img%%:*}_${img#*:}
	size=$(wc -c <"$f.tar.zst" | tr -d ' ')
	digest=$(awk '/\.tar\.zst/ { print $1 }' "$f.sha256")
	printf '    %-32s %s  %s bytes\n' "$img" "$digest" "$size"
done

if [ "$build_only" = 1 ]; then
	echo "==> Not pushed (build only). To push:"
	echo "    export WHARF_REGISTRY_TOKEN_FILE=<data dir>/registry-token; $0"
	exit 0
fi

for img in $images; do
	if [ -n "$token_file" ]; then
		"$wharf" image push -registry "$registry" -token-file "$token_file" \
			-dir "$out" "${img%%:*}" "${img#*:}"
	else
		"$wharf" image push -registry "$registry" -dir "$out" "${img%%:*}" "${img#*:}"
	fi
done
echo "==> Next: wharf image ls -registry $registry"
echo "    then run a job whose pot/tag name one of the images above"
echo "    (the seed job uses pot = \"nginx-nomad-amd64-13_1\", tag = \"1.1.13\")."
