"""One client process of the storm suite (testbed/guest/suites/storm.sh),
started by pnfs-client.sh's churn phase in the client namespace.

usage: storm-writer.py DIR ID SEED BUDGET WORK

Writes files of varied sizes into DIR/wID (tiny ones, ones within a 64 KiB
stripe, ones over several stripes, ones past a 1 MiB stripe) until WORK/stop
exists; once its files hold BUDGET bytes, it rewrites its own files instead
of making new ones (the export is a 512 MiB image). Every third file, it
reads one of its files back from the server (the client's clean pages
dropped first) and compares it with what it wrote. Each write (open, write,
fsync, close) and each read is retried when it fails; a file is recorded as
written, with its SHA-256, only once all of that succeeded, so a file whose
write failed is recorded as not written, never silently lost.

Files in WORK:
  wID.manifest  one line per outcome, as it happens (the last line of a name
                is its state): "ok NAME SIZE SHA256" (NAME holds these
                bytes), "failed NAME" (its last write failed: not written),
                "differ NAME SIZE SHA256" (a read during the storm got these)
  wID.summary   the counts, one line of "key value" pairs, at the end
  wID.pid       this process
  wID.ready     after the first file is written
  wID.calm      after the first file written since WORK/calm appeared
"""

import errno
import hashlib
import os
import random
import sys
import time

ATTEMPTS = 8  # tries of one write or read before giving up
# Sizes at the edges of pages and stripe units, now and then.
EDGES = (0, 1, 4095, 4096, 65535, 65536, 65537, 1 << 20, (1 << 20) + 1)


def pick_size(rng):
    r = rng.random()
    if r < 0.05:
        return rng.choice(EDGES)
    if r < 0.30:
        return rng.randint(0, 4096)  # tiny
    if r < 0.55:
        return rng.randint(4097, 65536)  # within one 64 KiB stripe
    if r < 0.85:
        return rng.randint(65537, 512 << 10)  # over several stripes
    return rng.randint((512 << 10) + 1, 5 << 19)  # past classes.lua's 1 MiB stripe


def random_bytes(rng, n):
    if hasattr(rng, "randbytes"):
        return rng.randbytes(n)
    return rng.getrandbits(8 * n).to_bytes(n, "little") if n else b""


def write_once(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view, off = memoryview(data), 0
        while off < len(data):
            off += os.write(fd, view[off:])
        os.fsync(fd)
    except BaseException:
        try:
            os.close(fd)
        except OSError:
            pass
        raise
    # NFS reports write errors at close too: the file counts only after it.
    os.close(fd)


def read_once(path):
    # O_DIRECT: the read bypasses this client's page cache and goes to the
    # server (the data servers of its layout). (posix_fadvise would need
    # ADVISE_SYSCALLS, which the testbed's tinyconfig kernel leaves out.)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        h, n = hashlib.sha256(), 0
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
    finally:
        os.close(fd)
    return n, h.hexdigest()


class Writer:
    def __init__(self, top, wid, seed, budget, work):
        self.dir = os.path.join(top, "w" + wid)
        self.wid, self.budget, self.work = wid, budget, work
        self.rng = random.Random(seed)
        self.files = {}  # name -> (size, sha256) of the files written
        self.names = []  # the same names, for picking
        self.on_disk = {}  # name -> the most bytes it may hold
        self.n = dict.fromkeys(
            ("files", "bytes", "rewrites", "not_written", "retries", "reads",
             "read_differ", "read_retries", "read_failed", "after_calm"), 0)
        self.errors = {}
        self.manifest = open(self.path("manifest"), "a", buffering=1)

    def path(self, what):
        return os.path.join(self.work, "w%s.%s" % (self.wid, what))

    def touch(self, what):
        open(self.path(what), "w").close()

    def stopping(self):
        return os.path.exists(os.path.join(self.work, "stop"))

    def failed(self, e):
        name = errno.errorcode.get(e.errno, str(e.errno))
        self.errors[name] = self.errors.get(name, 0) + 1

    def retry(self, fn, what):
        """fn() until it succeeds, at most ATTEMPTS times; None if never."""
        for attempt in range(ATTEMPTS):
            try:
                return fn()
            except OSError as e:
                self.failed(e)
                # past the end of the storm, give up sooner
                if attempt + 1 == ATTEMPTS or (self.stopping() and attempt >= 2):
                    return None
                self.n[what] += 1
                time.sleep(min(0.25 * 2 ** attempt, 4))
        return None

    def write(self, name):
        size = pick_size(self.rng)
        data = random_bytes(self.rng, size)
        digest = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.dir, name)
        self.on_disk[name] = max(size, self.on_disk.get(name, 0))
        if self.retry(lambda: write_once(path, data) or True, "retries"):
            if name not in self.files:
                self.names.append(name)
            self.files[name] = (size, digest)
            self.on_disk[name] = size
            self.manifest.write("ok %s %d %s\n" % (name, size, digest))
            self.n["files"] += 1
            self.n["bytes"] += size
            return True
        if name in self.files:
            del self.files[name]
            self.names.remove(name)
        self.manifest.write("failed %s\n" % name)
        self.n["not_written"] += 1
        return False

    def read_back(self):
        name = self.rng.choice(self.names)
        got = self.retry(lambda: read_once(os.path.join(self.dir, name)), "read_retries")
        if got is None:
            self.n["read_failed"] += 1
            return
        self.n["reads"] += 1
        if got != self.files[name]:
            self.n["read_differ"] += 1
            self.manifest.write("differ %s %d %s\n" % (name, got[0], got[1]))

    def run(self):
        with open(self.path("pid"), "w") as f:
            f.write("%d\n" % os.getpid())
        self.retry(lambda: os.makedirs(self.dir, exist_ok=True), "retries")
        i, ready, calm = 0, False, False
        while not self.stopping():
            after_calm = os.path.exists(os.path.join(self.work, "calm"))
            i += 1
            suffix = self.rng.choice(("", "", ".dat", ".log", ".tmp"))
            if self.names and sum(self.on_disk.values()) > self.budget:
                name = self.rng.choice(self.names)
                self.n["rewrites"] += 1
            else:
                name = "f%d%s" % (i, suffix)
            if self.write(name):
                if not ready:
                    ready = True
                    self.touch("ready")
                if after_calm:
                    self.n["after_calm"] += 1
                    if not calm:
                        calm = True
                        self.touch("calm")
            if i % 3 == 0 and self.names:
                self.read_back()
        errs = ",".join("%s:%d" % kv for kv in sorted(self.errors.items())) or "none"
        with open(self.path("summary"), "w") as f:
            f.write(" ".join("%s %d" % kv for kv in self.n.items()) + " errors %s\n" % errs)


if __name__ == "__main__":
    top, wid, seed, budget, work = sys.argv[1:6]
    Writer(top, wid, int(seed), int(budget), work).run()
