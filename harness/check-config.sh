#!/usr/bin/env bash
# Fail when an option the fragment asks for did not survive olddefconfig
# (a missing dependency silently drops it otherwise).
# Usage: check-config.sh FRAGMENT DOTCONFIG
set -euo pipefail
frag=$1 config=$2
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) want=$line ;;
	"# CONFIG_"*" is not set") want=$line ;;
	*) continue ;;
	esac
	if ! grep -qxF "$want" "$config"; then
		sym=${want#\# }; sym=${sym%%[= ]*}
		if [[ "$want" == "# "* ]] && ! grep -q "^$sym=" "$config"; then
			continue	# "not set" and absent is fine
		fi
		echo "config: wanted '$want', got '$(grep -E "^(# )?$sym[= ]" "$config" || echo absent)'" >&2
		bad=1
	fi
done < "$frag"
exit $bad
