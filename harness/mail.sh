#!/usr/bin/env bash
# The exported series (out/series, make series) made ready to send, into
# out/mail/: the sender as author and in Signed-off-by, instead of the
# placeholder the series is committed with, and To/Cc from the kernel's
# scripts/get_maintainer.pl.  out/series itself is left as make series
# checked it.
# Usage: mail.sh                 sender from git config user.name/user.email
#        SIGNOFF='Name <addr>' mail.sh
# Then: git send-email out/mail/*.patch   (To/Cc are in each mail)
# To: the maintainers of what a patch touches; Cc: its reviewers and lists.
# The cover letter goes to all of them.
. "$(dirname "$0")/common.sh"

PLACEHOLDER="iommu-groups developers <iommu-groups@localhost>"
src=$OUT/series
dst=$OUT/mail
tree=$SERIES_TREE

ls "$src"/0*.patch >/dev/null 2>&1 || die "no series in ${src#"$TOP"/} (run 'make series')"
[ -x "$tree/scripts/get_maintainer.pl" ] || die "no kernel tree at $tree (run 'make apply')"

sender=${SIGNOFF:-}
if [ -z "$sender" ]; then
	name=$(git -C "$TOP" config user.name || true)
	email=$(git -C "$TOP" config user.email || true)
	[ -n "$name" ] && [ -n "$email" ] ||
		die "who signs off? set git config user.name and user.email, or SIGNOFF='Name <address>'"
	sender="$name <$email>"
fi
[[ "$sender" =~ ^[^\<\>]+\ \<[^\<\>@\ ]+@[^\<\>\ ]+\>$ ]] || die "SIGNOFF must read 'Name <address>', not '$sender'"

# addresses PATCH ROLE-OPTIONS...: get_maintainer's addresses, one line
# each, without the placeholder and the sender.
addresses() {
	local patch=$1
	shift
	(cd "$tree" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		--no-rolestats "$@" "$patch") |
		sed '/^$/d' | grep -vxF -e "$PLACEHOLDER" -e "$sender" || true
}

# header NAME LINES: "NAME: a, b" from a list of lines, nothing for none.
header() {
	local list
	list=$(printf '%s\n' "$2" | sed '/^$/d' | awk '!seen[$0]++' | paste -sd, - | sed 's/,/, /g')
	[ -z "$list" ] || printf '%s: %s\n' "$1" "$list"
}

# rewrite IN OUT TO CC: the sender for the placeholder in From: and in
# Signed-off-by:, a Signed-off-by of the sender where none is, To and Cc
# after Subject.
rewrite() {
	SENDER=$sender PLACEHOLDER=$PLACEHOLDER TO=$3 CC=$4 awk '
	BEGIN { s = ENVIRON["SENDER"]; p = ENVIRON["PLACEHOLDER"]; inhead = 1 }
	inhead && $0 == "From: " p { print "From: " s; next }
	inhead && $0 == "" {
		if (ENVIRON["TO"] != "") print ENVIRON["TO"]
		if (ENVIRON["CC"] != "") print ENVIRON["CC"]
		inhead = 0
	}
	!inhead && !body_done && $0 == "Signed-off-by: " p { $0 = "Signed-off-by: " s }
	!inhead && !body_done && $0 == "Signed-off-by: " s { signed = 1 }
	!inhead && !body_done && $0 == "---" {
		if (!signed && !cover) print "Signed-off-by: " s
		body_done = 1
	}
	inhead && /^Subject: \[PATCH[^]]* 0+\// { cover = 1 }
	{ print }
	' "$1" > "$2"
}

rm -rf "$dst"
mkdir -p "$dst"
all_to='' all_cc=''
for p in "$src"/0*.patch; do
	case "$p" in */0000-cover-letter.patch) continue ;; esac
	to=$(addresses "$p" --no-r --no-l)
	cc=$(addresses "$p" --no-m)
	all_to+=$to$'\n' all_cc+=$cc$'\n'
	rewrite "$p" "$dst/${p##*/}" "$(header To "$to")" "$(header Cc "$cc")"
done
if [ -f "$src/0000-cover-letter.patch" ]; then
	cc=$(printf '%s\n' "$all_cc" | grep -vxF -f <(printf '%s\n' "$all_to" | sed '/^$/d') || true)
	rewrite "$src/0000-cover-letter.patch" "$dst/0000-cover-letter.patch" \
		"$(header To "$all_to")" "$(header Cc "$cc")"
fi
if grep -lF "$PLACEHOLDER" "$dst"/*.patch >/dev/null; then
	warn "the placeholder '$PLACEHOLDER' is still in: $(grep -lF "$PLACEHOLDER" "$dst"/*.patch | xargs -n1 basename | paste -sd' ' -) (in the code, e.g. MAINTAINERS: change it in the series)"
fi
msg "$(ls "$dst" | wc -l) mails from $sender in ${dst#"$TOP"/}: git send-email ${dst#"$TOP"/}/*.patch"
