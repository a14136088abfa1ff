# Guest part of the iommufd selftests (harness/selftests.py): run upstream's
# iommufd and iommufd_fail_nth from /selftests, their TAP output straight on
# the console between "@@kst-begin PROG UPTIME" and "@@kst-end PROG EXIT UPTIME".
# Both need no VT-d (intel_iommu=off on the command line, or an active
# Intel IOMMU takes the mock devices); fail_nth needs debugfs; the
# huge-page cases need reserved 2 MiB pages.
mount -t debugfs debugfs /sys/kernel/debug
echo 96 > /proc/sys/vm/nr_hugepages
pages=$(cat /proc/sys/vm/nr_hugepages)
check kst-hugepages "$pages of 96 2 MiB pages reserved (the huge-page cases need 80)" [ "$pages" -ge 80 ] || :
# selftests.py passes ig.kst=PROG,PROG (default: both) and ig.kst-args
# (kselftest's own -f/-v/-t selectors, ',' for ' ') to run a subset.
progs=$(sed -n 's/.*ig\.kst=\([a-z_,]*\).*/\1/p' /proc/cmdline | tr , ' ')
args=$(sed -n 's/.*ig\.kst-args=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
for prog in ${progs:-iommufd iommufd_fail_nth}; do
	echo "@@kst-begin $prog $(cut -d" " -f1 /proc/uptime)"
	rc=0
	# shellcheck disable=SC2086 # the selectors are words
	"/selftests/$prog" $args || rc=$?
	echo "@@kst-end $prog $rc $(cut -d" " -f1 /proc/uptime)"
done
# the guest's init mounts debugfs again for its kmemleak scan
umount /sys/kernel/debug
