#!/usr/bin/env bash
# Lay the series onto the pristine base and keep build/series/linux at its tip.
#
# patches/series lists the commits of the series in order.  A line at
# column 0 names a patch in patches/ (an mbox-format mail: From, Date,
# Subject, message, then an optional diff against upstream-owned files);
# the indented lines under it name the files the series owns (kept whole at
# their kernel paths at the top of this repository) that the same commit adds.
#
# Usage: series.sh apply     build the commits, move build/series/linux to them
#        series.sh export    git format-patch the series into out/series/
#        series.sh upstream  make build/upstream/linux the pristine base
#        series.sh refresh   write commits edited in build/series/linux (say
#                            with git rebase -i base) back into patches/ and
#                            the owned files; the manifest names the patches
#        series.sh check     validate the manifest only
. "$(dirname "$0")/common.sh"

MANIFEST=${MANIFEST:-$TOP/patches/series}
# Other manifests whose files may stand at kernel paths (see harness/bench.sh).
EXTRA_MANIFESTS="$TOP/patches/bench/series"
# Top-level directories whose files mirror kernel paths.
KERNEL_DIRS="arch block Documentation drivers include kernel lib mm tools MAINTAINERS"

# Parse the manifest into two arrays: PATCHES[i] and FILES[i].
parse_manifest() {
	PATCHES=() FILES=()
	local n=0 line lineno=0 i=-1
	declare -gA OWNER=()
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		case "$line" in
		''|'#'*) continue ;;
		[[:space:]]*)
			line=${line#"${line%%[![:space:]]*}"}
			[ $i -ge 0 ] || die "$MANIFEST:$lineno: file '$line' before any patch"
			[ -f "$TOP/$line" ] || die "$MANIFEST:$lineno: no such file '$line'"
			[ -z "${OWNER[$line]+x}" ] || die "$MANIFEST:$lineno: '$line' already added by ${OWNER[$line]}"
			OWNER[$line]=${PATCHES[$i]}
			FILES[i]+=" $line" ;;
		*)
			[ -f "$(dirname "$MANIFEST")/$line" ] || die "$MANIFEST:$lineno: no such patch '$line'"
			i=$((i + 1)); PATCHES[i]=$line; FILES[i]='' ;;
		esac
		n=$lineno
	done < "$MANIFEST"
	[ ${#PATCHES[@]} -gt 0 ] || die "$MANIFEST: no patches"
	# Every file at a kernel path must belong to a commit of some manifest.
	[ "$MANIFEST" = "$TOP/patches/series" ] || return 0
	local f extra
	extra=$(cat $EXTRA_MANIFESTS 2>/dev/null | sed -n 's/^[[:space:]]\+//p')
	while IFS= read -r f; do
		[ -n "${OWNER[$f]+x}" ] || grep -qxF "$f" <<<"$extra" ||
			die "$f is at a kernel path but no commit in patches/series adds it"
	done < <(cd "$TOP" && git ls-files --cached --others --exclude-standard -- $KERNEL_DIRS 2>/dev/null)
	: "$n"
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

ensure_trees() {
	clone_base "$SERIES_TREE"
	if [ ! -d "$BUILD/stage" ]; then
		git -C "$SERIES_TREE" worktree add -q --detach "$BUILD/stage" base
	fi
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

# Commit identity and dates are fixed so the same series gives the same hashes.
export GIT_COMMITTER_NAME="iommu-groups developers" GIT_COMMITTER_EMAIL="iommu-groups@localhost"
export GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"

# make_commits TREE: commit the patches of $MANIFEST (parsed) in TREE,
# which is checked out clean at the commit they go on top of.
make_commits() {
	local tree=$1 tmp=$BUILD/series-tmp i p f
	local subject author email date
	rm -rf "$tmp"; mkdir -p "$tmp"
	for i in "${!PATCHES[@]}"; do
		p=${PATCHES[$i]}
		git mailinfo "$tmp/msg" "$tmp/diff" < "$(dirname "$MANIFEST")/$p" > "$tmp/info" ||
			die "$p: not a mail (git mailinfo failed)"
		subject=$(sed -n 's/^Subject: //p' "$tmp/info")
		author=$(sed -n 's/^Author: //p' "$tmp/info")
		email=$(sed -n 's/^Email: //p' "$tmp/info")
		date=$(sed -n 's/^Date: //p' "$tmp/info")
		[ -n "$subject" ] && [ -n "$author" ] || die "$p: needs From: and Subject: headers"
		if grep -q "^diff --git" "$tmp/diff"; then
			git -C "$tree" apply --index --whitespace=error-all "$tmp/diff" ||
				die "$p does not apply"
		fi
		for f in ${FILES[$i]}; do
			mkdir -p "$tree/$(dirname "$f")"
			cp "$TOP/$f" "$tree/$f"
			git -C "$tree" add -f "$f"
		done
		if git -C "$tree" diff --cached --quiet; then
			die "$p: empty commit (no diff, no files)"
		fi
		{ echo "$subject"; echo; cat "$tmp/msg"; } |
			GIT_AUTHOR_NAME="$author" GIT_AUTHOR_EMAIL="$email" \
			GIT_AUTHOR_DATE="${date:-2026-01-01T00:00:00Z}" \
			git -C "$tree" commit -q --cleanup=strip -F -
	done
	rm -rf "$tmp"
}

apply_series() {
	parse_manifest
	ensure_trees
	local stage=$BUILD/stage
	git -C "$stage" checkout -q -f --detach base
	git -C "$stage" clean -fdqx
	make_commits "$stage"
	local tip
	tip=$(git -C "$stage" rev-parse HEAD)
	git -C "$SERIES_TREE" update-ref refs/heads/series "$tip"
	# reset --hard rewrites only what differs from the index, so files the
	# series did not change keep their mtimes and kbuild stays incremental.
	git -C "$SERIES_TREE" symbolic-ref HEAD refs/heads/series
	git -C "$SERIES_TREE" reset -q --hard series
	git -C "$SERIES_TREE" clean -fdq
	git -C "$stage" checkout -q --detach base
	msg "series: ${#PATCHES[@]} patches applied, build/series/linux at $(git -C "$SERIES_TREE" log --oneline -1)"
}

export_series() {
	apply_series
	local dir=$OUT/series
	rm -rf "$dir"; mkdir -p "$dir"
	git -C "$SERIES_TREE" config branch.series.description "$(cat "$TOP/patches/cover-letter")"
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

# bench_tree KIND: build/bench/KIND/linux = (series | base) + the benchmark.
bench_tree() {
	local kind=$1 tree=$BUILD/bench/$1/linux start
	case "$kind" in
	series) apply_series; start=series ;;
	upstream) start=base ;;
	*) die "bench_tree: kind is series or upstream" ;;
	esac
	if [ ! -d "$tree/.git" ]; then
		msg "cloning build/bench/$kind/linux"
		mkdir -p "$(dirname "$tree")"
		git clone -q --shared --no-checkout "$SERIES_TREE" "$tree"
		git -C "$tree" config gc.auto 0
	fi
	git -C "$tree" fetch -q "$SERIES_TREE" "+refs/heads/$start:refs/heads/start"
	git -C "$tree" checkout -q -f --detach start
	git -C "$tree" clean -fdq
	MANIFEST=$TOP/patches/bench/series
	parse_manifest
	make_commits "$tree"
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

# refresh_series: the inverse of apply_series.  Each commit of base..series
# in build/series/linux gives its message and its diff to upstream files to
# the patch of the same position, and its owned files to the repository.
refresh_series() {
	parse_manifest
	local tree=$SERIES_TREE i=0 c p f mail excl
	local commits=($(git -C "$tree" rev-list --reverse base..HEAD))
	[ ${#commits[@]} -eq ${#PATCHES[@]} ] ||
		die "build/series/linux has ${#commits[@]} commits on the base, patches/series ${#PATCHES[@]}"
	for c in "${commits[@]}"; do
		p=${PATCHES[$i]} mail=$TOP/patches/${PATCHES[$i]}
		excl=()
		for f in ${FILES[$i]}; do excl+=(":(exclude)$f"); done
		# Owned files of other commits must not change here.
		for f in $(git -C "$tree" diff --name-only "$c^" "$c"); do
			if [ -n "${OWNER[$f]+x}" ] && [ "${OWNER[$f]}" != "$p" ]; then
				die "$(git -C "$tree" log --format=%s -1 "$c") changes $f, which ${OWNER[$f]} adds whole"
			fi
		done
		{
			sed -n '/^From: /p;/^Date: /p' "$mail" | head -n 2
			echo "Subject: [PATCH] $(git -C "$tree" log --format=%s -1 "$c")"
			echo
			git -C "$tree" log --format=%b -1 "$c" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
			echo "---"
			git -C "$tree" diff --no-color "$c^" "$c" -- . "${excl[@]}"
		} > "$mail.tmp"
		mv "$mail.tmp" "$mail"
		for f in ${FILES[$i]}; do
			git -C "$tree" show "$c:$f" > "$TOP/$f"
		done
		i=$((i + 1))
	done
	msg "refreshed ${#PATCHES[@]} patches and their files from build/series/linux"
}

case "${1:-apply}" in
apply) apply_series ;;
export) export_series ;;
upstream) upstream_tree ;;
bench) bench_tree "${2:?series or upstream}" ;;
bisect) bisect_check ;;
refresh) refresh_series ;;
check) parse_manifest; msg "patches/series: ${#PATCHES[@]} patches" ;;
*) die "usage: series.sh apply|export|upstream|bench|bisect|refresh|check" ;;
esac
