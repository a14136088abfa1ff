# iommu-groups harness.  "make" builds the patched kernel and boots the
# default scenario; "make check" runs every suite.  See README.md.

SHELL := /bin/bash
SCENARIO ?= intel-root-ports
KERNEL ?= series
# x86_64 or ppc64le (make kernel/oracle/initramfs); "make boot" takes the
# architecture from the scenario.
ARCH ?= x86_64
H := harness

.PHONY: all deps base apply refresh kernel oracle initramfs boot replay check check-fast series \
	bench check-series check-debug lint docs validate deb mail clean distclean help

all: deps kernel initramfs
	@python3 $(H)/scenario.py --kernel series --table \
		tests/scenarios/$(SCENARIO).scn

help:
	@echo "make                 build the patched kernel, boot '$(SCENARIO)', print its groups and VFIO round trip"
	@echo "make check           every suite; ends with 'check: N passed, M failed'"
	@echo "make replay          real machines' lspci dumps through both kernels (CORPUS=dir, default ../shared/lspci)"
	@echo "make check-fast      the same without the POWER and debug suites (counted as skipped)"
	@echo "make kernel|oracle   build the patched|unpatched kernel (ARCH=x86_64|ppc64le)"
	@echo "make boot SCENARIO=name KERNEL=series|oracle|both"
	@echo "make apply           build/series/linux from patches/ (the place to read and edit the code)"
	@echo "make refresh         write the commits of build/series/linux back into patches/"
	@echo "make series          export the series with git format-patch into out/series/"
	@echo "make mail            out/series ready to send in out/mail/: sender from git config (or SIGNOFF=), To/Cc from get_maintainer.pl"
	@echo "make check-debug     every scenario on a KASAN/lockdep/kmemleak kernel; fails on any report"
	@echo "make check-series    build every patch of the series on its own"
	@echo "make docs            make htmldocs SPHINXDIRS=driver-api on the series; fails on warnings about its files; check the ABI entries"
	@echo "make lint            checkpatch --strict, sparse (C=2), W=1, kernel-doc, copied upstream lines on the series"
	@echo "make bench           time PCI group formation and its memory, series against oracle (SIZES=256,1024,4096,16384)"
	@echo "make validate        check patches/ and parse every scenario file"
	@echo "make deb             Debian packages of the series on Debian's 6.12 configuration, into out/deb/ (hours)"
	@echo "make clean           remove build/ and out/ (the cached base and ccache stay)"

deps:
	@$(H)/deps.sh

base: deps
	@$(H)/base.sh

apply: base
	@$(H)/series.sh apply

kernel: apply
	@$(H)/kernel.sh $(ARCH) series

oracle: base
	@$(H)/kernel.sh $(ARCH) upstream

initramfs: apply
	@$(H)/initramfs.sh $(ARCH)

# Boot one scenario; KERNEL=both also compares the two kernels.
boot: deps
	@f=tests/scenarios/$(SCENARIO).scn; [ -f "$$f" ] || f=$(SCENARIO); \
	a=$$(python3 $(H)/scenario.py --print-arch "$$f") || exit 2; \
	case "$(KERNEL)" in \
	series|patched) t=kernel ;; \
	oracle|upstream) t=oracle ;; \
	both) t="kernel oracle" ;; \
	*) echo "KERNEL must be series, oracle or both" >&2; exit 2 ;; \
	esac; \
	$(MAKE) -s ARCH=$$a initramfs $$t && \
	python3 $(H)/scenario.py --kernel $(KERNEL) --table "$$f"

# Real machines' PCI topologies (lspci dumps) through both kernels.
replay: deps kernel oracle initramfs
	@python3 $(H)/replay.py $(if $(CORPUS),--corpus $(CORPUS))

check: deps
	@$(H)/check.sh

# make check without the POWER and debug-kernel suites, for a short run.
check-fast: deps
	@IG_SKIP_POWER=1 IG_SKIP_DEBUG=1 $(H)/check.sh

series: base
	@$(H)/series.sh export

# out/series ready to send, in out/mail/: the sender (git config, or
# SIGNOFF='Name <address>') as author and in Signed-off-by, To/Cc from
# the kernel's scripts/get_maintainer.pl.
mail: series
	@$(H)/mail.sh

# Write the commits of build/series/linux back into patches/.
refresh:
	@$(H)/series.sh refresh

# Every scenario on the series built with KASAN, lockdep, kmemleak and
# debugobjects, the storm at its full 500 cycles; fails on any report.
# (make check runs the same with a 100-cycle storm as its debug suite.)
check-debug: apply initramfs
	@$(H)/kernel.sh x86_64 debug
	@rm -rf build/results-debug && mkdir -p build/results-debug
	@python3 $(H)/scenario.py --kernel debug --arch x86_64 --results build/results-debug/debug.txt \
		tests/scenarios/*.scn > build/logs/check-debug.log 2>&1 || true
	@set -o pipefail; python3 $(H)/summary.py build/results-debug | sed "s/^check:/check-debug:/"

# Every patch of the series builds on its own (with the KUnit suites).
check-series: base
	@$(H)/series.sh bisect

# checkpatch --strict, sparse, W=1 and kernel-doc on the series.
lint: kernel
	@$(H)/lint.sh

# The documentation with the kernel's htmldocs (warnings about our files fail) and the ABI entries.
docs: apply
	@mkdir -p build/results && rm -f build/results/docs-only.txt
	@$(H)/docs.sh build/results/docs-only.txt; cat build/results/docs-only.txt; ! grep -q ^FAIL build/results/docs-only.txt

# Group formation benchmark: the series against the oracle, same hierarchy.
bench: deps initramfs
	@$(H)/kernel.sh x86_64 bench-series
	@$(H)/kernel.sh x86_64 bench-upstream
	@python3 $(H)/bench.py

# Installable Debian packages of the series (bindeb-pkg) on Debian's own
# 6.12 configuration; make check only merges that configuration and
# compiles the directories the series touches with it.
deb: apply
	@$(H)/deb.sh

validate:
	@$(H)/series.sh check
	@python3 $(H)/scenario.py --validate tests/scenarios/*.scn

clean:
	rm -rf build out

distclean: clean
	@echo "the cache (base tree, ccache) is in $${IG_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/iommu-groups}"
