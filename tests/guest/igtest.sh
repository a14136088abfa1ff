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
