#!/usr/bin/env bash
# Installs what pas-ffi/test.sh needs on a fresh Debian CI machine; quick when already done.
#  - JNA (Debian libjna-java) for the Kotlin bindings on the JVM;
#  - pytest, pinned in python/requirements-test.txt;
#  - the Kotlin compiler from npm (kotlin/package-lock.json), into pas-ffi/kotlin/node_modules.
set -euo pipefail
ffi=$(cd "$(dirname "$0")" && pwd)

if [ ! -f /usr/share/java/jna.jar ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libjna-java >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r "$ffi/python/requirements-test.txt"

cd "$ffi/kotlin"
if [ -x node_modules/kotlin-compiler/bin/kotlinc ] && cmp -s package-lock.json node_modules/.pas-ffi-lock; then
    : # already installed from this lock file
else
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.pas-ffi-lock
fi
echo "pas-ffi: CI prerequisites installed"
