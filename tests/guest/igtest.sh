# shellcheck shell=sh
# Helpers for guest scenario steps (sourced by /init; busybox sh).

# result NAME pass|fail|skip [DETAIL...]
result() {
	name=$1 status=$2
	shift 2
	echo "@@result $name $status $*"
}

# ig_kernel: the kernel this guest runs, as the harness said on the
# command line (ig.kernel=series|oracle|debug).
ig_kernel() {
	sed -n 's/.*ig\.kernel=\([a-z]*\).*/\1/p' /proc/cmdline
}

# on_oracle: does this guest run the unpatched kernel?
on_oracle() {
	[ "$(ig_kernel)" = oracle ]
}

# Print every group, its attributes and members, and every device's link.
dump_state() {
	for g in /sys/kernel/iommu_groups/*; do
		[ -d "$g" ] || continue
		id=${g##*/}
		members=
		for d in "$g"/devices/*; do
			[ -e "$d" ] || continue
			members="$members ${d##*/}"
		done
		echo "@@group $id$members"
		for f in "$g"/*; do
			[ -f "$f" ] || continue
			# One line per line of the attribute, name first.
			while IFS= read -r line; do
				echo "@@attr $id ${f##*/} $line"
			done < "$f"
		done
		for d in "$g"/devices/*; do
			[ -L "$d" ] || continue
			echo "@@member $id ${d##*/} $(readlink "$d")"
		done
	done
	for dev in /sys/bus/pci/devices/*; do
		[ -e "$dev" ] || continue
		bdf=${dev##*/}
		drv=$(driver_of "$bdf")
		grp=$(group_of "$bdf")
		[ -n "$grp" ] || grp=-
		echo "@@pci $bdf $(cat "$dev/vendor"):$(cat "$dev/device") $(cat "$dev/class") $drv $grp"
	done
	for n in /dev/vfio/*; do
		[ -c "$n" ] && echo "@@vfio ${n##*/}"
	done
	return 0
}

# Bind a PCI device (0000:bb:dd.f) to a driver through driver_override.
bind_driver() {
	dev=/sys/bus/pci/devices/$1 drv=$2
	echo "$drv" > "$dev/driver_override" || return 1
	if [ -L "$dev/driver" ]; then
		echo "$1" > "$dev/driver/unbind" || return 1
	fi
	echo "$1" > /sys/bus/pci/drivers_probe || return 1
	[ "$(driver_of "$1")" = "$drv" ]
}

# vfio_bind BDF: hand a device to vfio-pci, reporting the outcome.
vfio_bind() {
	if bind_driver "$1" vfio-pci; then
		result "bind-$1" pass "bound to vfio-pci"
	else
		result "bind-$1" fail "could not bind to vfio-pci"
		return 1
	fi
}

# vfio_roundtrip BDF [vfio-edu options]: bind to vfio-pci (if needed) and
# run the type1 test.
vfio_roundtrip() {
	bdf=$1
	shift
	if [ "$(driver_of "$bdf")" != vfio-pci ]; then
		vfio_bind "$bdf" || return 1
	fi
	vfio-edu -p type1 "$@" type1 "$bdf"
}

# check NAME DESCRIPTION COMMAND...: a result from a command's exit status.
check() {
	name=$1 desc=$2
	shift 2
	if "$@"; then
		result "$name" pass "$desc"
	else
		result "$name" fail "$desc"
		return 1
	fi
}

# group_of BDF: the id of a PCI device's group (empty when it has none).
group_of() {
	l=$(readlink "/sys/bus/pci/devices/$1/iommu_group" 2>/dev/null) || return 0
	echo "${l##*/}"
}

# group_members ID: the names in the group's devices/ directory.
group_members() {
	ls "/sys/kernel/iommu_groups/$1/devices" 2>/dev/null | tr '\n' ' '
}

# in_group ID BDF: is BDF a member of group ID?
in_group() {
	[ -e "/sys/kernel/iommu_groups/$1/devices/$2" ]
}

# reaches FROM_BDF TO_BDF PORT: does FROM's group reach TO's one way
# through PORT, as both groups' reaches and reached_by attributes say?
reaches() {
	from=$(group_of "$1") to=$(group_of "$2")
	[ -n "$from" ] && [ -n "$to" ] &&
	grep -qx "$from $3" "/sys/kernel/iommu_groups/$to/reached_by" &&
	grep -qx "$to $3" "/sys/kernel/iommu_groups/$from/reaches"
}

# logged TEXT: has the kernel logged TEXT?
logged() {
	dmesg | grep -qF "$1"
}

# not COMMAND...: succeed when COMMAND fails (for check).
not() {
	! "$@"
}

# driver_of BDF: the name of the driver bound to a PCI device, or "-".
driver_of() {
	l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) || { echo -; return; }
	echo "${l##*/}"
}

# write_err FILE TEXT: write TEXT and a newline to FILE in one write();
# print the error message ("Invalid argument", ...), or "ok".
write_err() {
	if ( echo "$2" > "$1" ) 2>/tmp/write_err; then
		echo ok
	else
		sed 's/.*: //' /tmp/write_err
	fi
}

# qmp JSON: have the harness send a command to QEMU's monitor (QMP).
qmp() {
	echo "@@qmp $1"
}

# wait_for PATH SECONDS: wait until PATH exists (10 ms steps, no fork).
wait_for() {
	n=$(( $2 * 100 ))
	while [ ! -e "$1" ] && [ $n -gt 0 ]; do
		nap 0.01
		n=$((n - 1))
	done
	[ -e "$1" ]
}

# blockdev_of BDF: the block device (vda, ...) of a virtio-blk PCI device.
blockdev_of() {
	for b in /sys/bus/pci/devices/$1/virtio*/block/*; do
		[ -e "$b" ] && echo "${b##*/}" && return 0
	done
	echo none
}

# ---- Hot-plug storms (tests/scenarios/intel-storm.scn) ----------------------
# Busybox forks for sleep, readlink and $(...); under TCG that costs more
# than a hot-plug cycle, so these helpers use builtins only: "read -t" on
# an idle FIFO to sleep, "cd -P" to resolve links, results in variables.
# None of them stops a "set -e" caller by failing half-way.

# nap SECONDS: sleep without forking.
nap() {
	[ -p /tmp/nap.fifo ] || mkfifo /tmp/nap.fifo
	# shellcheck disable=SC3045 # busybox read has -t, with fractions
	read -r -t "$1" _ <>/tmp/nap.fifo || :
}

# now_cs: the uptime in hundredths of a second, in $now.
now_cs() {
	read -r now _ < /proc/uptime
	now=${now%.*}${now#*.}
	while [ "${now#0}" != "$now" ]; do
		now=${now#0}
	done
	now=${now:-0}
}

# resolve PATH: the physical path PATH leads to, in $to ("" if none).
resolve() {
	to=
	if cd -P "$1" 2>/dev/null; then
		to=$PWD
	fi
	cd /
}

# gone_wait PATH SECONDS: wait until PATH no longer exists (10 ms steps).
gone_wait() {
	n=$(( $2 * 100 ))
	while [ -e "$1" ] && [ $n -gt 0 ]; do
		nap 0.01
		n=$((n - 1))
	done
	[ ! -e "$1" ]
}

# drv_wait BDF DRIVER SECONDS: wait until BDF is bound to DRIVER ("-":
# none); the driver it has in the end is left in $to ("" for none).
drv_wait() {
	n=$(( $3 * 100 ))
	while :; do
		resolve "/sys/bus/pci/devices/$1/driver"
		if [ "${to##*/}" = "${2#-}" ] || [ $n -le 0 ]; then
			break
		fi
		nap 0.01
		n=$((n - 1))
	done
	to=${to##*/}
	[ "$to" = "${2#-}" ]
}

# members ID: the names in devices/ of group ID, each followed by a space,
# in $to.
members() {
	to=
	for d in /sys/kernel/iommu_groups/"$1"/devices/*; do
		[ -L "$d" ] && to="$to${d##*/} "
	done
	:
}

# pci_groups: "BDF GROUP" for every PCI device ("-": no group).
pci_groups() {
	for dev in /sys/bus/pci/devices/*; do
		[ -e "$dev" ] || continue
		resolve "$dev/iommu_group"
		to=${to##*/}
		echo "${dev##*/} ${to:--}"
	done
}

# group_ids: the ids of the group directories, one a line, ascending.
group_ids() {
	for g in /sys/kernel/iommu_groups/*; do
		[ -d "$g" ] && echo "${g##*/}"
	done | sort -n
}

# empty_groups: the group directories that list no device (stale ones).
empty_groups() {
	for g in /sys/kernel/iommu_groups/*; do
		[ -d "$g" ] || continue
		members "${g##*/}"
		[ -n "$to" ] || printf '%s ' "${g##*/}"
	done
}

# storm_binder BDF STOP OUT: until the file STOP exists, claim the group of
# BDF (an edu: no host driver) for vfio-pci and release it again, 50 ms
# apart.  A claim either takes (driver_override reads "vfio-pci", BDF is
# on vfio-pci) or is refused and changes nothing (driver_override empty,
# BDF without a driver); a release always takes (nothing holds the group
# through VFIO) and leaves both empty.  Anything else is an error.  OUT
# gets "CLAIMS REFUSED RELEASES ERRORS FIRST-REFUSAL FIRST-ERROR", the
# last two with "~" for blanks, "-" for none.
storm_binder() {
	claims=0 refused=0 releases=0 errors=0 why=- first=-
	err=/tmp/storm-binder.err
	resolve "/sys/bus/pci/devices/$1/iommu_group"
	f=$to/driver_override
	while [ ! -e "$2" ]; do
		for want in vfio-pci ""; do
			bad='' v='' no=''
			if ! (echo "$want" > "$f") 2>"$err"; then
				read -r no < "$err" || :
				no=${no##*: }
			fi
			read -r v < "$f" || :
			if [ -n "$no" ] && [ -z "$want" ]; then
				bad="release refused: $no"
			elif [ -n "$no" ]; then
				# Refused: nothing may have changed.
				if [ -n "$v" ] || ! drv_wait "$1" - 0; then
					bad="claim refused ($no) but driver_override reads '$v', $1 on ${to:--}"
				else
					refused=$((refused + 1))
					[ "$why" != - ] || why="$no"
				fi
			elif [ "$v" != "$want" ]; then
				bad="after writing '$want' it reads '$v'"
			elif ! drv_wait "$1" "${want:--}" 0; then
				bad="after writing '$want' $1 is on ${to:--}"
			elif [ -n "$want" ]; then
				claims=$((claims + 1))
			else
				releases=$((releases + 1))
			fi
			if [ -n "$bad" ]; then
				errors=$((errors + 1))
				[ "$first" != - ] || first=$bad
			fi
			nap 0.05
		done
	done
	echo "$claims $refused $releases $errors $(echo "$why" | tr ' ' '~') $(echo "$first" | tr ' ' '~')" > "$3"
}

# storm_run FIRST LAST MODE SLOT...: hot-plug cycles FIRST..LAST through
# QMP.  A SLOT is "QEMU_BUS,BDF,PORT,KIND": the port QEMU plugs into, the
# address the device gets, the port's address and its kind ("root": the
# device gets a group of its own, freed with it; "switch": it joins the
# group of its downstream port).  Cycle i uses slot i mod (number of
# slots), and an edu (no host driver) or a virtio-rng-pci (host driver
# virtio-pci; no block device, whose teardown trips an ODEBUG report of
# the block layer's on debug kernels) in turns.  The cycles run in rounds
# of as many as there are slots: device_add to each slot, wait for each
# device and its group link, check its group; device_del of every one,
# wait until each sysfs directory is gone, check that the group of each
# device below a root port went with it.  The harness orders the QMP
# commands so that QEMU's ACPI hot-plug cannot eject a newcomer in place
# of the device that left the slot (see Monitor in harness/scenario.py).
# MODE "claimed": the switch group is claimed by
# the binder, so newcomers there must bind to vfio-pci, those below root
# ports to their host driver (virtio-pci, or none for edu); "plain" and
# "churn" check no driver.  Appends "CYCLES FAILURES EDU RNG MAXID ROOTS
# TIME_CS FIRST" to /tmp/storm.out (MAXID: the highest id of a newcomer's
# new group, below a root port; ROOTS: the most such groups at a time) and
# returns 1 if a cycle failed.  Stops after 5 failed cycles.
storm_run() {
	first=$1 last=$2 mode=$3
	shift 3
	fails=0 edu=0 rng=0 cycles=0 why=- maxid=-1 roots=0
	now_cs
	t0=$now
	round=$first
	while [ "$round" -le "$last" ] && [ $fails -lt 5 ]; do
		# This round's cycles: one per slot, the last round maybe fewer.
		end=$((round + $# - 1))
		[ $end -le "$last" ] || end=$last
		r=0
		# Plug one device into each slot.
		i=$round
		while [ "$i" -le "$end" ]; do
			storm_slot "$@"
			qmp '{"execute":"device_add","arguments":{"driver":"'"$drv"'","id":"s'"$i"'","bus":"'"$bus"'"}}'
			[ "$kind" != root ] || r=$((r + 1))
			i=$((i + 1))
		done
		[ $r -le $roots ] || roots=$r
		# Each must come with the right group (and driver).
		i=$round
		while [ "$i" -le "$end" ]; do
			storm_slot "$@"
			bad='' g=''
			if ! wait_for "/sys/bus/pci/devices/$bdf/iommu_group" 10; then
				bad="cycle $i: $drv $bdf did not appear with a group on $bus"
				path=/sys/bus/pci/devices/$bdf
			else
				resolve "/sys/bus/pci/devices/$bdf"
				path=$to
				resolve "/sys/bus/pci/devices/$bdf/iommu_group"
				g=${to##*/}
				if [ "$kind" = root ] && [ -n "$g" ] && [ "$g" -gt "$maxid" ]; then
					maxid=$g
				fi
				members "$g"
				if [ -z "$g" ]; then
					bad="cycle $i: $bdf lost its group link"
				elif [ "$kind" = root ]; then
					[ "$to" = "$bdf " ] ||
						bad="cycle $i: $bdf in group $g with $to"
				else
					resolve "/sys/bus/pci/devices/$port/iommu_group"
					[ "$g" = "${to##*/}" ] ||
						bad="cycle $i: $bdf in group $g, its port $port in ${to##*/}"
				fi
				if [ -z "$bad" ] && [ "$mode" = claimed ]; then
					want=$host
					[ "$kind" = root ] || want=vfio-pci
					drv_wait "$bdf" "$want" 10 ||
						bad="cycle $i: $drv $bdf in group $g on ${to:--}, expected $want"
				fi
			fi
			eval "path_$i=\$path group_$i=\$g bad_$i=\$bad"
			i=$((i + 1))
		done
		# Unplug them all, then each must be gone, with its own group.
		i=$round
		while [ "$i" -le "$end" ]; do
			qmp '{"execute":"device_del","arguments":{"id":"s'"$i"'"}}'
			i=$((i + 1))
		done
		i=$round
		while [ "$i" -le "$end" ]; do
			storm_slot "$@"
			eval "path=\$path_$i g=\$group_$i bad=\$bad_$i"
			if ! gone_wait "$path" 20; then
				[ -n "$bad" ] || bad="cycle $i: $bdf still there 20 s after device_del"
			elif [ "$kind" = root ] && [ -n "$g" ] && [ -d "/sys/kernel/iommu_groups/$g" ]; then
				members "$g"
				[ -n "$bad" ] || bad="cycle $i: group $g of removed $bdf still there, devices: '$to'"
			fi
			if [ -n "$bad" ]; then
				fails=$((fails + 1))
				[ "$why" != - ] || why=$bad
				echo "@@storm-fail $bad"
			elif [ $drv = edu ]; then
				edu=$((edu + 1))
			else
				rng=$((rng + 1))
			fi
			cycles=$((cycles + 1))
			i=$((i + 1))
		done
		round=$i
	done
	now_cs
	echo "$cycles $fails $edu $rng $maxid $roots $((now - t0)) $why" >> /tmp/storm.out
	[ $fails = 0 ]
}

# storm_slot SLOT...: for cycle $i, the slot's fields in $bus, $bdf, $port,
# $kind and the device in $drv, $host (see storm_run).
storm_slot() {
	eval "slot=\${$(( i % $# + 1 ))}"
	# shellcheck disable=SC2154 # set by the eval
	bus=${slot%%,*} rest=${slot#*,}
	bdf=${rest%%,*} rest=${rest#*,}
	port=${rest%%,*} kind=${rest#*,}
	if [ $(( (i / $#) % 2 )) = 0 ]; then
		drv=edu host=-
	else
		drv=virtio-rng-pci host=virtio-pci
	fi
}

# ---- Fault injection (tests/scenarios/intel-failnth.scn) --------------------

# dev_state BDF ANCHOR: the state of a PCI device after an operation that
# may have failed half-way, in $state:
#   "added G"   present, iommu_group link to G, listed in G's devices/ and
#               in no other group, G's type readable; ANCHOR "-": alone in
#               G; otherwise G is ANCHOR's group
#   "ungrouped" present, no iommu_group link, listed in no group
#   "absent"    gone, listed in no group
#   "broken: WHY" anything else.
# In every case no group directory may be empty (a stale group); with
# FN_STALE_WAIT set, empty ones get that many seconds to go first.
dev_state() {
	state=
	resolve "/sys/bus/pci/devices/$1/iommu_group"
	sg=${to##*/}
	listed=
	for dd in /sys/kernel/iommu_groups/*/devices/"$1"; do
		[ -L "$dd" ] || continue
		dd=${dd%/devices/*}
		listed="$listed${dd##*/} "
	done
	if [ ! -e "/sys/bus/pci/devices/$1" ]; then
		[ -z "$listed" ] && state=absent ||
			state="broken: $1 gone but listed in group $listed"
	elif [ -z "$sg" ]; then
		if [ -L "/sys/bus/pci/devices/$1/iommu_group" ]; then
			state="broken: dangling iommu_group link"
		elif [ -n "$listed" ]; then
			state="broken: no iommu_group link but listed in group $listed"
		else
			state=ungrouped
		fi
	elif [ "$listed" != "$sg " ]; then
		state="broken: linked to group $sg, listed in '$listed'"
	elif ! read -r t < "/sys/kernel/iommu_groups/$sg/type" || [ -z "$t" ]; then
		state="broken: type of group $sg unreadable"
	elif [ -e "/sys/kernel/iommu_groups/$sg/name" ] &&
	     ! read -r t < "/sys/kernel/iommu_groups/$sg/name"; then
		state="broken: name of group $sg unreadable"
	elif [ "$2" = - ]; then
		members "$sg"
		[ "$to" = "$1 " ] && state="added $sg" ||
			state="broken: $1 shares group $sg with $to"
	else
		resolve "/sys/bus/pci/devices/$2/iommu_group"
		[ "${to##*/}" = "$sg" ] && state="added $sg" ||
			state="broken: $1 in group $sg, $2 in ${to##*/}"
	fi
	stale_wait "${FN_STALE_WAIT:-0}" || state="broken: empty group directories ${stale% } ($1 ${state#broken: })"
}

# stale_wait SECONDS: wait until no group directory is empty; the empty
# ones left in $stale (100 ms steps).
stale_wait() {
	stale=$(empty_groups)
	w=$(( $1 * 10 ))
	while [ -n "$stale" ] && [ $w -gt 0 ]; do
		nap 0.1
		w=$((w - 1))
		stale=$(empty_groups)
	done
	[ -z "$stale" ]
}

# fn_write N FILE VALUE: write VALUE to FILE, through fail-nth when N > 0;
# sets $injected (0/1) and $wrote ("ok" or the error message).
fn_write() {
	if [ "$1" -gt 0 ]; then
		set -- "$1" "$2" "$3" "$(fail-nth write "$1" "$2" "$3")"
		injected=${4%% *} wrote=${4#* }
		[ -n "$4" ] || { injected=0 wrote="fail-nth did not run"; }
	else
		injected=0 wrote=ok
		(echo "$3" > "$2") 2>/tmp/fn_write.err || {
			read -r wrote < /tmp/fn_write.err || :
			wrote=${wrote##*: }
		}
	fi
}

# Operations for fn_sweep: fn_OP_reset (the state the operation starts
# from), fn_OP_act N (the write under test) and fn_OP_check, which checks
# the outcome (sets $how: "ok" for complete success, "undone" for a clean
# failure, or "broken: ..."), and puts things back as they were before the
# act, through clean writes.

# "rescan": FN_DEV (absent) comes back through a rescan of its bus FN_BUS;
# FN_ANCHOR as for dev_state.
fn_rescan_act() {
	fn_write "$1" "/sys/class/pci_bus/$FN_BUS/rescan" 1
}
fn_rescan_check() {
	dev_state "$FN_DEV" "$FN_ANCHOR"
	case $state in
	added*) how=ok ;;
	absent) how=undone ;;
	ungrouped) how=undone ungrouped=$((ungrouped + 1)) ;;
	*)	# Say what a user retrying at once would get.
		how=$state
		[ ! -e "/sys/bus/pci/devices/$FN_DEV" ] ||
			echo 1 > "/sys/bus/pci/devices/$FN_DEV/remove"
		echo 1 > "/sys/class/pci_bus/$FN_BUS/rescan"
		dev_state "$FN_DEV" "$FN_ANCHOR"
		how="$how; a clean remove and rescan at once gave: $state"
		return ;;
	esac
	# Put it back as it was: absent (through a clean rescan first, which
	# must give the device its group).
	if [ "$state" != "added $FN_GROUP" ]; then
		[ ! -e "/sys/bus/pci/devices/$FN_DEV" ] ||
			echo 1 > "/sys/bus/pci/devices/$FN_DEV/remove"
		echo 1 > "/sys/class/pci_bus/$FN_BUS/rescan"
		dev_state "$FN_DEV" "$FN_ANCHOR"
		[ "$state" = "added $FN_GROUP" ] ||
			{ how="broken: after a clean rescan $FN_DEV is $state, not added $FN_GROUP"; return; }
	fi
	echo 1 > "/sys/bus/pci/devices/$FN_DEV/remove"
	dev_state "$FN_DEV" "$FN_ANCHOR"
	[ "$state" = absent ] || how="broken: removed again, $FN_DEV is $state"
}

fn_rescan_reset() {
	# Let what an earlier failure left behind go first.
	stale_wait 5 || :
	[ ! -e "/sys/bus/pci/devices/$FN_DEV" ] ||
		echo 1 > "/sys/bus/pci/devices/$FN_DEV/remove"
}

# "claim": the binder claims group FN_GROUP (FN_DEV: an edu, no host
# driver; FN_HOST: a member on driver FN_HOSTDRV) for vfio-pci.
fn_claim_state() {
	read -r ov < "/sys/kernel/iommu_groups/$FN_GROUP/driver_override" || ov=
	drv_wait "$FN_DEV" vfio-pci 0 || :
	d1=${to:--}
	drv_wait "$FN_HOST" vfio-pci 0 || :
	d2=${to:--}
	cstate="override '$ov', $FN_DEV on $d1, $FN_HOST on $d2"
}
fn_claim_act() {
	fn_write "$1" "/sys/kernel/iommu_groups/$FN_GROUP/driver_override" vfio-pci
}
fn_claim_reset() {
	echo > "/sys/kernel/iommu_groups/$FN_GROUP/driver_override"
}
fn_claim_check() {
	fn_claim_state
	if [ "$cstate" = "override 'vfio-pci', $FN_DEV on vfio-pci, $FN_HOST on vfio-pci" ]; then
		echo > "/sys/kernel/iommu_groups/$FN_GROUP/driver_override"
		fn_claim_state
		how=ok
		[ "$cstate" = "override '', $FN_DEV on -, $FN_HOST on $FN_HOSTDRV" ] ||
			how="broken: after the release: $cstate"
	elif [ "$cstate" = "override '', $FN_DEV on -, $FN_HOST on $FN_HOSTDRV" ]; then
		how=undone
	else
		how="broken: neither claimed nor as before: $cstate"
	fi
}

# "bind": FN_DEV (driver_override vfio-pci, no driver) is bound to vfio-pci
# through its bind file: "ok" means bound and /dev/vfio/FN_GROUP there,
# "undone" no driver and no /dev/vfio/FN_GROUP; FN_DEV stays in FN_GROUP.
fn_bind_act() {
	fn_write "$1" /sys/bus/pci/drivers/vfio-pci/bind "$FN_DEV"
}
fn_bind_reset() {
	[ ! -e "/sys/bus/pci/devices/$FN_DEV/driver" ] ||
		echo "$FN_DEV" > "/sys/bus/pci/devices/$FN_DEV/driver/unbind"
	echo vfio-pci > "/sys/bus/pci/devices/$FN_DEV/driver_override"
}
fn_bind_check() {
	drv_wait "$FN_DEV" vfio-pci 0 || :
	bd=${to:--}
	dev_state "$FN_DEV" -
	if [ "$state" != "added $FN_GROUP" ]; then
		how="broken: $FN_DEV is $state, not added $FN_GROUP"
	elif [ "$bd" = vfio-pci ] && [ -c "/dev/vfio/$FN_GROUP" ]; then
		how=ok
		echo "$FN_DEV" > /sys/bus/pci/drivers/vfio-pci/unbind
		[ ! -e "/dev/vfio/$FN_GROUP" ] ||
			how="broken: /dev/vfio/$FN_GROUP still there after unbind"
	elif [ "$bd" = - ] && [ ! -e "/dev/vfio/$FN_GROUP" ]; then
		how=undone
	else
		how="broken: $FN_DEV on $bd, /dev/vfio/$FN_GROUP $(echo /dev/vfio/*)"
	fi
}

# fn_sweep NAME OP MAX: for n = 1, 2, ...: "fn_OP_act n" with the n-th
# fault point of the write failing, then fn_OP_check; until a write
# reaches no n-th fault point, which must then have succeeded.  Prints one
# result line failnth-NAME; adds the number of faults injected to
# $fn_total.
fn_sweep() {
	sname=$1 op=$2 max=$3
	nth=1 faults=0 refused=0 survived=0 ungrouped=0 bad=
	# Start from the state the operation expects, whatever came before.
	"fn_${op}_reset"
	while [ $nth -le "$max" ]; do
		"fn_${op}_act" $nth
		"fn_${op}_check"
		if [ "$how" != ok ] && [ "$how" != undone ]; then
			bad="n=$nth (write: $wrote): $how"
			break
		fi
		if [ "$injected" = 0 ]; then
			[ "$wrote" = ok ] && [ "$how" = ok ] ||
				bad="n=$nth reached no fault point, yet write: $wrote, $how"
			break
		fi
		faults=$((faults + 1))
		if [ "$wrote" != ok ]; then
			refused=$((refused + 1))
			[ "$how" = undone ] ||
				bad="n=$nth: write failed ($wrote) but it was done"
		elif [ "$how" = ok ]; then
			survived=$((survived + 1))
		fi
		[ -z "$bad" ] || break
		nth=$((nth + 1))
	done
	[ $nth -le "$max" ] || bad="no fault-free write up to n=$max"
	fn_total=$((fn_total + faults))
	detail="$faults faults injected: $survived writes completed anyway, $((faults - survived)) undone cleanly ($refused refused by the write, $ungrouped left the device present without a group)"
	if [ -n "$bad" ]; then
		result "failnth-$sname" fail "$detail; $bad"
		return 1
	elif [ $faults = 0 ]; then
		result "failnth-$sname" fail "no fault point reached: is the filter's function on the path?"
		return 1
	fi
	result "failnth-$sname" pass "$detail; n=$nth went through${fn_range:+ (allocations below $fn_range)}"
}

# fn_filter FUNC|- [NOTFUNC]: fail-nth's stack filter (debugfs mounted only
# meanwhile, so that /init can mount it for kmemleak afterwards).
fn_filter() {
	mount -t debugfs debugfs /sys/kernel/debug || return 1
	rc=0
	fail-nth filter "$@" || rc=$?
	umount /sys/kernel/debug
	return $rc
}

# fn_run NAME OP FUNC [NOTFUNC]: fn_sweep NAME OP with faults confined to
# allocations made below the kernel function FUNC (and not below NOTFUNC).
fn_run() {
	if fn_range=$(fn_filter "$3" ${4:+"$4"}); then
		fn_sweep "$1" "$2" 400 || :
	else
		result "failnth-$1" fail "cannot confine faults to $3: needs CONFIG_FAULT_INJECTION_STACKTRACE_FILTER"
	fi
	fn_range=
}
