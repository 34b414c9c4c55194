#!/bin/sh
# Refreshes the vendored browser assets of wharf's web UI from the pinned
# npm packages (package-lock.json) and copies the built files into
# internal/ui/assets/vendor. The copies are committed, so building wharf
# never needs npm; run this only to upgrade xterm.js (edit package.json,
# `npm install --package-lock-only`, then ./update.sh) and commit the result.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
dst=../internal/ui/assets/vendor
rm -rf "$dst"
mkdir -p "$dst/xterm" "$dst/addon-fit"
cp node_modules/@xterm/xterm/lib/xterm.mjs "$dst/xterm/xterm.mjs"
cp node_modules/@xterm/xterm/css/xterm.css "$dst/xterm/xterm.css"
cp node_modules/@xterm/xterm/LICENSE "$dst/xterm/LICENSE"
cp node_modules/@xterm/addon-fit/lib/addon-fit.mjs "$dst/addon-fit/addon-fit.mjs"
cp node_modules/@xterm/addon-fit/LICENSE "$dst/addon-fit/LICENSE"
# The source maps are not vendored; drop their references so browsers do
# not ask the agent for them.
sed -i '/^\/\/# sourceMappingURL=/d' "$dst/xterm/xterm.mjs" "$dst/addon-fit/addon-fit.mjs"
{
	echo "Vendored by ui-vendor/update.sh; do not edit by hand."
	node -e 'const l=require("./package-lock.json").packages;for(const k of Object.keys(l).filter(Boolean).sort())console.log(k.replace("node_modules/","")+" "+l[k].version+" "+l[k].integrity)'
} >"$dst/VERSIONS"
echo "updated $dst"
