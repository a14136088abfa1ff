"""Tests of make mail (harness/mail.sh) on a copy of the harness with two
small mails and a get_maintainer.pl that answers per file: the sender
replaces the placeholder in From: and Signed-off-by:, a mail without a
Signed-off-by gets the sender's, To/Cc come from get_maintainer.pl, the
cover letter goes to all of them, and a bad SIGNOFF is refused."""

import os
import shutil
import subprocess
import tempfile
import unittest

HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness")
PLACEHOLDER = "iommu-groups developers <iommu-groups@localhost>"

COVER = f"""From 0000 Mon Sep 17 00:00:00 2001
From: {PLACEHOLDER}
Date: Thu, 1 Jan 2026 00:00:00 +0000
Subject: [PATCH 00/02] iommu: a series

The cover.
"""


def mail(n, path, signed):
    sob = f"\nSigned-off-by: {PLACEHOLDER}\n" if signed else "\n"
    return f"""From 000{n} Mon Sep 17 00:00:00 2001
From: {PLACEHOLDER}
Date: Thu, 1 Jan 2026 00:00:00 +0000
Subject: [PATCH 0{n}/02] iommu: change {n}

Why.
{sob}---
 {path} | 1 +
diff --git a/{path} b/{path}
"""


# Answers like get_maintainer.pl: maintainers (M), reviewers (R) and lists
# (L) of the file the mail touches; --no-m, --no-r, --no-l leave them out.
GET_MAINTAINER = r"""#!/usr/bin/perl
my %who = (
  'drivers/iommu/a.c' => [['M', 'Joerg Roedel <joro@8bytes.org>'], ['R', 'Robin Murphy <robin.murphy@arm.com>'], ['L', 'iommu@lists.linux.dev']],
  'drivers/pci/b.c'   => [['M', 'Bjorn Helgaas <bhelgaas@google.com>'], ['M', 'iommu-groups developers <iommu-groups@localhost>'], ['L', 'linux-pci@vger.kernel.org']],
);
my %off;
my $patch;
for (@ARGV) { if (/^--no-([mrl])$/) { $off{uc $1} = 1 } elsif (!/^--/) { $patch = $_ } }
open(my $f, '<', $patch) or die;
my ($file) = map { /^diff --git a\/(\S+)/ ? $1 : () } <$f>;
for (@{$who{$file}}) { print "$_->[1]\n" unless $off{$_->[0]} }
"""


class MailTest(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp()
        os.makedirs(os.path.join(self.top, "harness"))
        for f in ("mail.sh", "common.sh"):
            shutil.copy(os.path.join(HARNESS, f), os.path.join(self.top, "harness", f))
        shutil.copy(os.path.join(HARNESS, "..", "base.pin"), self.top)
        series = os.path.join(self.top, "out", "series")
        os.makedirs(series)
        for name, text in [("0000-cover-letter.patch", COVER),
                           ("0001-a.patch", mail(1, "drivers/iommu/a.c", True)),
                           ("0002-b.patch", mail(2, "drivers/pci/b.c", False))]:
            with open(os.path.join(series, name), "w") as f:
                f.write(text)
        scripts = os.path.join(self.top, "build", "series", "linux", "scripts")
        os.makedirs(scripts)
        gm = os.path.join(scripts, "get_maintainer.pl")
        with open(gm, "w") as f:
            f.write(GET_MAINTAINER)
        os.chmod(gm, 0o755)

    def tearDown(self):
        shutil.rmtree(self.top)

    def run_mail(self, signoff):
        env = dict(os.environ, SIGNOFF=signoff, IG_CACHE=os.path.join(self.top, "cache"))
        env.pop("IG_BUILD", None)
        return subprocess.run(["bash", os.path.join(self.top, "harness", "mail.sh")],
                              env=env, capture_output=True, text=True)

    def read(self, name):
        with open(os.path.join(self.top, "out", "mail", name)) as f:
            return f.read()

    def test_sender_and_recipients(self):
        p = self.run_mail("Jane Doe <jane@example.org>")
        self.assertEqual(p.returncode, 0, p.stderr)
        one, two, cover = self.read("0001-a.patch"), self.read("0002-b.patch"), self.read("0000-cover-letter.patch")
        for text in (one, two, cover):
            self.assertIn("\nFrom: Jane Doe <jane@example.org>\n", text)
            self.assertNotIn(PLACEHOLDER, text)
        self.assertIn("\nSigned-off-by: Jane Doe <jane@example.org>\n---\n", one)
        self.assertIn("\nSigned-off-by: Jane Doe <jane@example.org>\n---\n", two)
        self.assertNotIn("Signed-off-by", cover)
        self.assertIn("Subject: [PATCH 01/02] iommu: change 1\n"
                      "To: Joerg Roedel <joro@8bytes.org>\n"
                      "Cc: Robin Murphy <robin.murphy@arm.com>, iommu@lists.linux.dev\n\n", one)
        self.assertIn("To: Bjorn Helgaas <bhelgaas@google.com>\n"
                      "Cc: linux-pci@vger.kernel.org\n\n", two)
        self.assertIn("To: Joerg Roedel <joro@8bytes.org>, Bjorn Helgaas <bhelgaas@google.com>\n"
                      "Cc: Robin Murphy <robin.murphy@arm.com>, iommu@lists.linux.dev, "
                      "linux-pci@vger.kernel.org\n\n", cover)
        # out/series stays as make series checked it
        with open(os.path.join(self.top, "out", "series", "0001-a.patch")) as f:
            self.assertIn(PLACEHOLDER, f.read())

    def test_bad_signoff_is_refused(self):
        p = self.run_mail("jane@example.org")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("SIGNOFF must read 'Name <address>'", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.top, "out", "mail")))


if __name__ == "__main__":
    unittest.main()
