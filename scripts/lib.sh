# Shared helpers for the scripts; sourced, not run.

# need_go makes sure a Go toolchain is on PATH.
need_go() {
	if ! command -v go >/dev/null 2>&1; then
		if [ -x /usr/local/go/bin/go ]; then
			PATH="/usr/local/go/bin:$PATH"
			export PATH
		else
			echo "wharf: Go 1.26 is required (install it to /usr/local/go)" >&2
			exit 1
		fi
	fi
}

# need_pkgs installs the Debian packages that provide the given commands.
# Arguments are command:package pairs.
need_pkgs() {
	missing=""
	for pair in "$@"; do
		cmd="${pair%%:*}"
		pkg="${pair#*:}"
		command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
	done
	if [ -n "$missing" ]; then
		echo "wharf: installing$missing" >&2
		if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
		$SUDO apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
	fi
}
