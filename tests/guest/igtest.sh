# shellcheck shell=sh
# Helpers for guest scenario steps (sourced by /init; busybox sh).

# result NAME pass|fail|skip [DETAIL...]
result() {
	name=$1 status=$2
	shift 2
	echo "@@result $name $status $*"
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

# wait_for PATH SECONDS: wait until PATH exists.
wait_for() {
	n=$(( $2 * 10 ))
	while [ ! -e "$1" ] && [ $n -gt 0 ]; do
		sleep 0.1
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

# here_wait PATH SECONDS: wait until PATH exists (10 ms steps).
here_wait() {
	n=$(( $2 * 100 ))
	while [ ! -e "$1" ] && [ $n -gt 0 ]; do
		nap 0.01
		n=$((n - 1))
	done
	[ -e "$1" ]
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
		echo "${dev##*/} ${to:+${to##*/}}${to:--}"
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
# slots), and an edu or a virtio-blk-pci in turns; the virtio-blk of slot
# QEMU_BUS uses the block node "blk-QEMU_BUS" (one each: QEMU releases a
# node a moment after the device has gone).  Each cycle: device_add, wait
# for the device and its group link, check its group, device_del, wait
# until its sysfs directory is gone, check its own group went with it.
# MODE "claimed": the switch group is claimed by the binder, so newcomers
# there must bind to vfio-pci, those below root ports to their host
# driver (virtio-pci, or none for edu); "plain" and "churn" check no
# driver.  Appends "CYCLES FAILURES EDU BLK MAXID TIME_CS FIRST" to
# /tmp/storm.out (MAXID: the highest id of a newcomer's new group, below
# a root port) and returns
# 1 if a cycle failed.  Stops after 5 failed cycles.
storm_run() {
	first=$1 last=$2 mode=$3
	shift 3
	nslots=$#
	fails=0 edu=0 blk=0 cycles=0 why=- maxid=-1
	now_cs
	t0=$now
	i=$first
	while [ "$i" -le "$last" ]; do
		eval "slot=\${$(( i % nslots + 1 ))}"
		# shellcheck disable=SC2154 # set by the eval
		bus=${slot%%,*} rest=${slot#*,}
		bdf=${rest%%,*} rest=${rest#*,}
		port=${rest%%,*} kind=${rest#*,}
		id=s$i path='' g='' bad=''
		if [ $(( (i / nslots) % 2 )) = 0 ]; then
			drv=edu host=-
			qmp '{"execute":"device_add","arguments":{"driver":"edu","id":"'"$id"'","bus":"'"$bus"'"}}'
		else
			drv=virtio-blk-pci host=virtio-pci
			qmp '{"execute":"device_add","arguments":{"driver":"virtio-blk-pci","id":"'"$id"'","bus":"'"$bus"'","drive":"blk-'"$bus"'"}}'
		fi
		if ! here_wait "/sys/bus/pci/devices/$bdf/iommu_group" 10; then
			bad="cycle $i: $drv $bdf did not appear with a group on $bus"
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
		qmp '{"execute":"device_del","arguments":{"id":"'"$id"'"}}'
		if ! gone_wait "${path:-/sys/bus/pci/devices/$bdf}" 20; then
			[ -n "$bad" ] || bad="cycle $i: $bdf still there 20 s after device_del"
		elif [ "$kind" = root ] && [ -n "$g" ] && [ -d "/sys/kernel/iommu_groups/$g" ]; then
			members "$g"
			[ -n "$bad" ] || bad="cycle $i: group $g of removed $bdf still there, devices: '$to'"
		fi
		if [ -n "$bad" ]; then
			fails=$((fails + 1))
			[ "$why" != - ] || why=$bad
			echo "@@storm-fail $bad"
			# Give up early rather than time out the boot.
			[ $fails -lt 5 ] || break
		elif [ $drv = edu ]; then
			edu=$((edu + 1))
		else
			blk=$((blk + 1))
		fi
		cycles=$((cycles + 1))
		i=$((i + 1))
	done
	now_cs
	echo "$cycles $fails $edu $blk $maxid $((now - t0)) $why" >> /tmp/storm.out
	[ $fails = 0 ]
}
