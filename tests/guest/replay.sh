# Guest part of the real-machine replay (harness/replay.py): for every
# description in /replay, load it into the ig_replay test module, form the
# groups and print them with the reason each group has and the groups it
# reaches one way (series kernels).
# Output: @@replay-* lines, see harness/replay_report.py.
kernel=$(sed -n 's/.*ig\.kernel=\([a-z]*\).*/\1/p' /proc/cmdline)
[ -n "$kernel" ] || kernel=unknown
insmod /lib/modules/ig_replay.ko
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
d=/sys/kernel/debug/ig_replay
for topo in /replay/*.topo; do
	m=$(basename "$topo" .topo)
	echo "@@replay-begin $kernel $m"
	if cat "$topo" > $d/topology && echo 1 > $d/run; then
		while read -r addr group; do
			echo "@@replay-fn $kernel $m $addr $group"
		done < $d/groups
		for g in $(cut -d' ' -f2 $d/groups | sort -u); do
			[ -r "/sys/kernel/iommu_groups/$g/reason" ] || continue
			echo "@@replay-reason $kernel $m $g $(cat "/sys/kernel/iommu_groups/$g/reason")"
			[ -r "/sys/kernel/iommu_groups/$g/reaches" ] || continue
			while read -r to port; do
				echo "@@replay-reaches $kernel $m $g $to $port"
			done < "/sys/kernel/iommu_groups/$g/reaches"
		done
	else
		echo "@@replay-error $kernel $m $(cat $d/status)"
	fi
	echo 1 > $d/clear
	echo "@@replay-end $kernel $m"
done
