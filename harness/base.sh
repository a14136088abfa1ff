#!/usr/bin/env bash
# Make the pinned base available as a git repository in the cache:
#   $CACHE/base/linux-<version>  branch "base", one commit, pristine tree.
# The oracle kernel is built straight from this tree (out of tree), and the
# series tree under build/ is cloned from it.
. "$(dirname "$0")/common.sh"

stamp=$BASE_REPO/.git/iommu-groups-base
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$SHA256" ]; then
	exit 0
fi

installed=$(dpkg-query -W -f='${Version}' "$PACKAGE" 2>/dev/null || true)
if [ "$installed" != "$PACKAGE_VERSION" ]; then
	"$TOP/harness/deps.sh" base
	installed=$(dpkg-query -W -f='${Version}' "$PACKAGE" 2>/dev/null || true)
fi
[ -f "$TARBALL" ] || die "$TARBALL missing after installing $PACKAGE"

sum=$(sha256sum "$TARBALL" | cut -d' ' -f1)
if [ "$installed" != "$PACKAGE_VERSION" ] || [ "$sum" != "$SHA256" ]; then
	warn "************************************************************"
	warn "BASE IS NOT THE PINNED ONE"
	warn "  pinned:    $PACKAGE $PACKAGE_VERSION sha256 $SHA256"
	warn "  installed: $PACKAGE $installed sha256 $sum"
	warn "Results are not comparable with the recorded ones."
	warn "Set IG_ACCEPT_UNPINNED=1 to go on anyway."
	warn "************************************************************"
	[ "${IG_ACCEPT_UNPINNED:-0}" = 1 ] || exit 1
fi

msg "laying out $PACKAGE $installed as a git repository in $BASE_REPO"
rm -rf "$BASE_REPO" "$BASE_REPO.tmp"
mkdir -p "$BASE_REPO.tmp"
tar -C "$BASE_REPO.tmp" --strip-components=1 -xJf "$TARBALL"
git -C "$BASE_REPO.tmp" init -q -b base
git -C "$BASE_REPO.tmp" config core.bigFileThreshold 1m
git -C "$BASE_REPO.tmp" config gc.auto 0
git -C "$BASE_REPO.tmp" add -A -f
GIT_AUTHOR_NAME="Debian kernel team" GIT_AUTHOR_EMAIL=debian-kernel@lists.debian.org \
GIT_COMMITTER_NAME=iommu-groups GIT_COMMITTER_EMAIL=iommu-groups@localhost \
GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
	git -C "$BASE_REPO.tmp" commit -q \
	-m "base: Linux $KERNEL_VERSION (Debian $PACKAGE)" \
	-m "Unmodified contents of $TARBALL from Debian package $PACKAGE $installed (sha256 $sum)."
mv "$BASE_REPO.tmp" "$BASE_REPO"
echo "$sum" > "$stamp"
msg "base ready: $(git -C "$BASE_REPO" log --oneline -1)"
