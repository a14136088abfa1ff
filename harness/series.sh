#!/usr/bin/env bash
# The series: patches/ <-> the git tree build/series/linux.
#
# patches/ is the one source of truth, in the form distribution kernel
# packaging keeps (Debian's debian/patches): patches/series names the
# patches in order, each patches/NNNN-*.patch is a `git format-patch` mail
# (message and whole diff, new files included).  build/series/linux is a
# git tree with one commit per patch on top of the base: the place to read
# and edit the code.  Any commit may change any file.
#
# Usage: series.sh apply     git am the patches onto the base; build/series/linux
#                            moves to the result (refuses to drop edits that
#                            were not refreshed, unless FORCE=1)
#        series.sh refresh   git format-patch base..HEAD of build/series/linux
#                            back into patches/ (the inverse of apply)
#        series.sh export    the series with a cover letter into out/series/,
#                            checked with git am
#        series.sh upstream  make build/upstream/linux the pristine base
#        series.sh bench K   build/bench/K/linux: series|upstream + patches/bench
#        series.sh bisect    build every commit on its own
#        series.sh check     validate patches/ only
. "$(dirname "$0")/common.sh"

PATCHES=${IG_PATCHES:-$TOP/patches}
# Top-level directories that would mirror kernel paths: the code lives in
# the patches, never as loose files here.
KERNEL_DIRS="arch block Documentation drivers include kernel lib mm tools MAINTAINERS"

# Commit identity and dates are fixed so the same patches give the same hashes.
export GIT_COMMITTER_NAME="iommu-groups developers" GIT_COMMITTER_EMAIL="iommu-groups@localhost"
export GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"

# The options refresh writes patches with: no numbers in subjects (a new
# patch does not rewrite every other one), no git version signature, a
# stable From line and index lines long enough never to be ambiguous.
FORMAT_OPTS=(--no-numbered --no-signature --zero-commit --abbrev=12)

# list_patches DIR: the patch names of DIR/series, in order, validated.
list_patches() {
	local dir=$1 line lineno=0
	local -A seen=()
	[ -f "$dir/series" ] || die "${dir#"$TOP"/}/series: missing"
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		line=${line%%#*}
		line=${line//[[:space:]]/}
		[ -n "$line" ] || continue
		[ -f "$dir/$line" ] || die "${dir#"$TOP"/}/series:$lineno: no such patch '$line'"
		[ -z "${seen[$line]+x}" ] || die "${dir#"$TOP"/}/series:$lineno: '$line' listed twice"
		seen[$line]=1
		echo "$line"
	done < "$dir/series"
}

check_patches() {
	local dir=$PATCHES tmp n=0 p f
	local list
	list=$(list_patches "$dir")
	[ -n "$list" ] || die "patches/series lists no patch"
	tmp=$(mktemp -d)
	for p in $list; do
		git mailinfo "$tmp/msg" "$tmp/diff" < "$dir/$p" > "$tmp/info" ||
			die "patches/$p: not a mail (git mailinfo failed)"
		grep -q '^Subject: .' "$tmp/info" && grep -q '^Author: .' "$tmp/info" ||
			die "patches/$p: needs From: and Subject: headers"
		grep -q '^diff --git' "$tmp/diff" || die "patches/$p: no diff"
		n=$((n + 1))
	done
	rm -rf "$tmp"
	for f in "$dir"/*.patch; do
		[ -e "$f" ] || continue
		grep -qxF "$(basename "$f")" <<<"$list" || die "patches/$(basename "$f") is not listed in patches/series"
	done
	f=$(cd "$TOP" && git ls-files --cached --others --exclude-standard -- $KERNEL_DIRS 2>/dev/null | head -n 1)
	[ -z "$f" ] || die "$f is at a kernel path: the series' files live in patches/ (see README, Working on the series)"
	msg "patches/series: $n patches"
}

# clone_base DIR: a clone of the cached base sharing its objects.
clone_base() {
	"$TOP/harness/base.sh"
	[ -d "$1/.git" ] && return 0
	msg "cloning the base into ${1#"$TOP"/}"
	rm -rf "$1"
	mkdir -p "$(dirname "$1")"
	git clone -q --shared --no-checkout -b base "$BASE_REPO" "$1"
	git -C "$1" config gc.auto 0
	git -C "$1" checkout -q base
}

# The oracle's tree: the base, untouched.
upstream_tree() {
	clone_base "$UPSTREAM_TREE"
	if [ "$(git -C "$UPSTREAM_TREE" rev-parse HEAD)" != "$(git -C "$UPSTREAM_TREE" rev-parse base)" ] ||
	   [ -n "$(git -C "$UPSTREAM_TREE" status --porcelain --untracked-files=all)" ]; then
		warn "build/upstream/linux was modified: resetting it to the base"
		git -C "$UPSTREAM_TREE" checkout -q -f base
		git -C "$UPSTREAM_TREE" clean -fdqx
	fi
}

# am_all TREE DIR: git am the patches listed in DIR/series onto TREE's HEAD.
am_all() {
	local tree=$1 dir=$2 p
	for p in $(list_patches "$dir"); do
		if ! git -C "$tree" am -q --whitespace=error-all "$dir/$p" >/dev/null 2>"$BUILD/am.err"; then
			git -C "$tree" am --abort 2>/dev/null || true
			cat "$BUILD/am.err" >&2
			die "${dir#"$TOP"/}/$p does not apply"
		fi
	done
}

# Refuse to overwrite work in build/series/linux that refresh has not
# written back: uncommitted changes, or commits other than the last apply.
guard_edits() {
	local tree=$SERIES_TREE applied head
	[ -d "$tree/.git" ] || return 0
	[ "${FORCE:-0}" = 1 ] && return 0
	applied=$(git -C "$tree" rev-parse -q --verify refs/ig/applied || true)
	head=$(git -C "$tree" rev-parse -q --verify HEAD || true)
	[ -n "$applied" ] || return 0
	if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
		die "build/series/linux has uncommitted changes: commit them and run 'harness/series.sh refresh', or FORCE=1 to drop them"
	fi
	if [ "$head" != "$applied" ]; then
		die "build/series/linux has commits that are not in patches/: run 'harness/series.sh refresh', or FORCE=1 to drop them"
	fi
}

apply_series() {
	mkdir -p "$BUILD"
	clone_base "$SERIES_TREE"
	guard_edits
	local stage=$BUILD/stage tip
	# The staging worktree belongs to build/series/linux: remade when that was.
	if ! git -C "$stage" rev-parse --git-dir >/dev/null 2>&1; then
		rm -rf "$stage"
		git -C "$SERIES_TREE" worktree prune
		git -C "$SERIES_TREE" worktree add -q --detach "$stage" base
	fi
	git -C "$stage" am --abort >/dev/null 2>&1 || true
	git -C "$stage" checkout -q -f --detach base
	git -C "$stage" clean -fdqx
	am_all "$stage" "$PATCHES"
	tip=$(git -C "$stage" rev-parse HEAD)
	git -C "$SERIES_TREE" update-ref refs/heads/series "$tip"
	# reset --hard rewrites only what differs from the index, so files the
	# series did not change keep their mtimes and kbuild stays incremental.
	git -C "$SERIES_TREE" symbolic-ref HEAD refs/heads/series
	git -C "$SERIES_TREE" reset -q --hard series
	git -C "$SERIES_TREE" clean -fdq
	git -C "$SERIES_TREE" update-ref refs/ig/applied "$tip"
	git -C "$stage" checkout -q --detach base
	msg "series: $(list_patches "$PATCHES" | wc -l) patches applied, build/series/linux at $(git -C "$SERIES_TREE" log --oneline -1)"
}

# refresh_series: the inverse of apply_series.  The commits base..HEAD of
# build/series/linux become patches/*.patch and patches/series.
refresh_series() {
	local tree=$SERIES_TREE tmp=$BUILD/refresh n
	[ -d "$tree/.git" ] || die "no build/series/linux: run 'make apply' first"
	[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
		die "build/series/linux has uncommitted changes: commit them first"
	n=$(git -C "$tree" rev-list --count base..HEAD)
	[ "$n" -gt 0 ] || die "build/series/linux has no commits on the base"
	[ -z "$(git -C "$tree" rev-list --merges base..HEAD)" ] || die "the series must be linear (no merges)"
	rm -rf "$tmp"; mkdir -p "$tmp"
	git -C "$tree" format-patch -q "${FORMAT_OPTS[@]}" -o "$tmp" base..HEAD
	(cd "$tmp" && ls -- *.patch) > "$tmp/series"
	rm -f "$PATCHES"/*.patch
	mv "$tmp"/*.patch "$PATCHES/"
	{
		echo "# The series, in order: git format-patch mails, applied with git am"
		echo "# by harness/series.sh apply and written back by harness/series.sh refresh."
		cat "$tmp/series"
	} > "$PATCHES/series"
	rm -rf "$tmp"
	git -C "$tree" update-ref refs/heads/series HEAD
	git -C "$tree" update-ref refs/ig/applied HEAD
	msg "refreshed patches/ from build/series/linux: $n patches"
}

export_series() {
	apply_series
	local dir=$OUT/series
	rm -rf "$dir"; mkdir -p "$dir"
	git -C "$SERIES_TREE" config branch.series.description "$(cat "$PATCHES/cover-letter")"
	git -C "$SERIES_TREE" format-patch -q --cover-letter --cover-from-description=auto \
		--base=base -o "$dir" base..series
	msg "series exported to ${dir#"$TOP"/}: $(ls "$dir" | wc -l) files"
	am_check
}

# The exported mails must rebuild the series exactly: git am them (all but
# the cover letter) on the base in the staging tree and compare the trees.
am_check() {
	local stage=$BUILD/stage want got
	git -C "$stage" checkout -q -f --detach base
	git -C "$stage" clean -fdqx
	if ! git -C "$stage" am -q $(ls "$OUT/series"/*.patch | grep -v '/0000-cover-letter.patch$'); then
		git -C "$stage" am --abort 2>/dev/null || true
		die "out/series does not apply with git am on the base"
	fi
	want=$(git -C "$SERIES_TREE" rev-parse 'series^{tree}')
	got=$(git -C "$stage" rev-parse 'HEAD^{tree}')
	git -C "$stage" checkout -q --detach base
	[ "$want" = "$got" ] || die "git am of out/series gives tree $got, the series is $want"
	msg "git am of out/series on the base reproduces the series tree ($got)"
}

# bench_tree KIND: build/bench/KIND/linux = (series | base) + patches/bench.
# The benchmark shares the series' fake PCI host bridge header; on the base
# it is taken from the series tree, so there is one copy of it.
bench_tree() {
	local kind=$1 tree=$BUILD/bench/$1/linux start
	local header=drivers/iommu/group-formation-fakepci.h
	case "$kind" in
	series|upstream) apply_series ;;
	*) die "bench_tree: kind is series or upstream" ;;
	esac
	start=series; [ "$kind" = upstream ] && start=base
	if [ ! -d "$tree/.git" ]; then
		msg "cloning build/bench/$kind/linux"
		mkdir -p "$(dirname "$tree")"
		git clone -q --shared --no-checkout "$SERIES_TREE" "$tree"
		git -C "$tree" config gc.auto 0
	fi
	git -C "$tree" am --abort >/dev/null 2>&1 || true
	git -C "$tree" fetch -q "$SERIES_TREE" "+refs/heads/$start:refs/heads/start" "+refs/heads/series:refs/ig/series"
	git -C "$tree" checkout -q -f --detach start
	git -C "$tree" clean -fdq
	if [ "$kind" = upstream ]; then
		git -C "$tree" checkout -q refs/ig/series -- "$header"
		git -C "$tree" commit -q -m "bench: $header from the series"
	fi
	am_all "$tree" "$PATCHES/bench"
	msg "bench tree $kind at $(git -C "$tree" log --oneline -1)"
}

# bisect_check: build every commit of the series on its own, in
# build/bisect/linux (laid out like the other trees, so ccache is shared).
bisect_check() {
	apply_series
	local tree=$BUILD/bisect/linux c n=0 bad=0 arch
	if [ ! -d "$tree/.git" ]; then
		msg "cloning build/bisect/linux"
		mkdir -p "$(dirname "$tree")"
		git clone -q --shared --no-checkout "$SERIES_TREE" "$tree"
		git -C "$tree" config gc.auto 0
	fi
	git -C "$tree" fetch -q "$SERIES_TREE" +refs/heads/series:refs/bisect/series +refs/heads/base:refs/bisect/base
	for c in $(git -C "$tree" rev-list --reverse refs/bisect/base..refs/bisect/series); do
		n=$((n + 1))
		git -C "$tree" checkout -q -f --detach "$c"
		git -C "$tree" clean -fdq
		# x86_64 with the KUnit suites, and ppc64le (pseries + powernv).
		for arch in x86_64 ppc64le; do
			if "$TOP/harness/kernel.sh" "$arch" bisect >/dev/null 2>&1; then
				echo "PASS series/bisect/$n/$arch builds: $(git -C "$tree" log --format=%s -1)"
			else
				echo "FAIL series/bisect/$n/$arch does not build: $(git -C "$tree" log --format=%s -1) (log build/bisect/obj-$arch/build.log)"
				bad=1
			fi
		done
	done
	return $bad
}

case "${1:-apply}" in
apply) apply_series ;;
export) export_series ;;
upstream) upstream_tree ;;
bench) bench_tree "${2:?series or upstream}" ;;
bisect) bisect_check ;;
refresh) refresh_series ;;
check) check_patches ;;
*) die "usage: series.sh apply|refresh|export|upstream|bench|bisect|check" ;;
esac
