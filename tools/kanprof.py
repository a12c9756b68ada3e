# SPDX-License-Identifier: BSD-2-Clause
"""make profile (tools/kanprof): where the instructions of one KAN operation go.

Runs inside `gdb-multiarch -batch -x tools/kanprof.py`, attached to QEMU's gdb
stub (the bench image under -icount shift=0, halted at reset). It stops at
kanprof_begin in kanbench (tests/qemu/progs/kanbench.c), single-steps that one
vCPU (the others stay stopped) until kanprof_end, and attributes every executed
instruction to a function: user PCs (lower half) through the kanbench ELF's
symbols, kernel PCs (upper half) through hekate.elf's, both read with
`nm -n -l`; inlining is resolved with llvm-symbolizer when there is one. Then
it lets the run finish and sets the profile next to that run's own numbers.

Stepping uses raw vCont;s packets, not gdb's stepi: for aarch64 gdb steps over
a whole ldxr..stxr sequence at once (single-stepping inside one would lose the
exclusive monitor on hardware), which would hide those instructions. QEMU
keeps the monitor, so every instruction is seen; the trace is the same as an
unstepped run's (checked against QEMU's -singlestep -d exec log).

Environment (set by tools/kanprof): KANPROF_PORT, KANPROF_KERNEL, KANPROF_USER,
KANPROF_OUT (profile.txt), KANPROF_TRACE (the timeline), KANPROF_CONSOLE (the
guest console log), KANPROF_SYSCALLS_H, KANPROF_TOP, KANPROF_SYMBOLIZER (may be
empty), KANPROF_MAX_STEPS (default 200000), KANPROF_IRQ=1 (let interrupts and
timers in while stepping; QEMU's gdb stub masks them by default).
"""
import bisect
import collections
import os
import re
import struct
import subprocess
import sys
import time

import gdb

env = os.environ
PORT = env["KANPROF_PORT"]
KERNEL = env["KANPROF_KERNEL"]
USER = env["KANPROF_USER"]
OUT = env["KANPROF_OUT"]
TRACE = env.get("KANPROF_TRACE", OUT + ".trace")
CONSOLE = env.get("KANPROF_CONSOLE", "")
SYSCALLS_H = env.get("KANPROF_SYSCALLS_H", "")
TOP = env.get("KANPROF_TOP", "")
SYMBOLIZER = env.get("KANPROF_SYMBOLIZER", "")
MAX_STEPS = int(env.get("KANPROF_MAX_STEPS", "200000"))
IRQ = env.get("KANPROF_IRQ", "") == "1"
UPPER = 1 << 63  # kernel addresses (TTBR1) have the top bit set
INLINE_ROWS = 40  # rows of the inlining-resolved table
EMPTY = 2  # kanbench's empty measurement, count(); count(): isb; mrs


# A64 instruction classes (by encoding) the profiler needs.
def is_bl(w):
    return w & 0xFC000000 == 0x94000000 or w & 0xFFFFFC1F == 0xD63F0000  # bl, blr


def is_ret(w):
    return w & 0xFFFFFC1F == 0xD65F0000


def is_eret(w):
    return w == 0xD69F03E0


def is_svc(w):
    return w & 0xFFE0001F == 0xD4000001


def is_wfi(w):
    return w == 0xD503207F


def is_pmccntr_read(w):
    return w & 0xFFFFFFE0 == 0xD53B9D00  # mrs xN, pmccntr_el0


class Fail(Exception):
    pass


def log(msg):
    print("kanprof: " + msg, file=sys.stderr, flush=True)


def rel(path):
    if TOP and path.startswith(TOP + "/"):
        return path[len(TOP) + 1:]
    return path


# ---- ELF images: executable words and symbols -------------------------------

def exec_words(path):
    """{address: 32-bit word} of every executable PT_LOAD segment."""
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise Fail("%s: not a little-endian ELF64" % path)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    words = {}
    for i in range(phnum):
        typ, flags, off, vaddr, _pa, filesz, _memsz, _al = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if typ != 1 or not flags & 1:
            continue
        for o in range(0, filesz - 3, 4):
            words[vaddr + o], = struct.unpack_from("<I", data, off + o)
    return words


class Syms:
    """Functions of one ELF from `nm -n -l`: address -> (name, source file)."""

    def __init__(self, path):
        out = subprocess.run(["nm", "-n", "-l", "--defined-only", path],
                             capture_output=True, text=True, check=True).stdout
        self.addrs, self.names, self.files = [], [], []
        for line in out.splitlines():
            parts = line.split(None, 3)
            if len(parts) < 3 or parts[1] not in "tTwW" or parts[2].startswith("$"):
                continue
            addr = int(parts[0], 16)
            src = parts[3].rsplit(":", 1)[0] if len(parts) > 3 else ""
            if self.addrs and self.addrs[-1] == addr:
                continue  # aliases: keep the first name
            self.addrs.append(addr)
            self.names.append(parts[2])
            self.files.append(rel(src))
        self.by_name = {n: a for a, n in zip(self.addrs, self.names)}

    def lookup(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        if i < 0:
            return "?%#x" % pc, ""
        return self.names[i], self.files[i]


def symbolize(path, pcs):
    """{pc: [(function, file:line), ...] innermost first} via llvm-symbolizer."""
    if not SYMBOLIZER or not pcs:
        return {}
    pcs = sorted(pcs)
    try:
        out = subprocess.run([SYMBOLIZER, "--inlining", "--obj=" + path],
                             input="".join("%#x\n" % p for p in pcs),
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        log("llvm-symbolizer failed (%s): no inlining breakdown" % e)
        return {}
    blocks = [b for b in out.split("\n\n") if b.strip()]
    if len(blocks) != len(pcs):
        return {}
    res = {}
    for pc, b in zip(pcs, blocks):
        lines = b.strip().splitlines()
        chain = []
        for i in range(0, len(lines) - 1, 2):
            loc = lines[i + 1]
            m = re.match(r"(.*):(\d+):\d+$", loc)
            if m:
                loc = "%s:%s" % (rel(m.group(1)), m.group(2))
            chain.append((lines[i], loc))
        res[pc] = chain
    return res


def syscall_names():
    try:
        text = open(SYSCALLS_H).read()
    except OSError:
        return {}
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"X\((\d+),\s*(\w+),", text)}


# ---- phases ----------------------------------------------------------------

PHASES = [  # (short name, what)
    ("user", "user space (EL0): kanbench and userlib"),
    ("entry/exit", "exception entry/exit and dispatch: entry.S, trap.c, kernel_syscall, "
                   "kernel_return_to_user"),
    ("sys_*", "system call handlers (syscall.c)"),
    ("KAN", "the KAN: kernel/kan.c and kan/ (addresses, endpoints, pool)"),
    ("sched/switch", "scheduler and context switch: sched.c, switch.S, address space "
                     "and thread pointer"),
    ("vm/uaccess", "page tables, TLB, user memory access: vm.c, phys_to_virt"),
    ("lib", "kernel library: memcmp, memcpy, ... (kernel/lib)"),
    ("other", "other kernel code"),
]


def phase(user, name, src):
    if user:
        return "user"
    base = os.path.basename(src)
    if base in ("entry.S", "trap.c") or name in ("kernel_syscall", "kernel_return_to_user"):
        return "entry/exit"
    if name.startswith("sys_"):
        return "sys_*"
    if base == "kan.c" or src.startswith("kan/"):
        return "KAN"
    if base in ("switch.S", "sched.c") or name in ("arch_vm_activate", "arch_tp_get",
                                                   "arch_tp_set", "arch_cpu_id"):
        return "sched/switch"
    if base == "vm.c" or name in ("arch_phys_to_virt", "arch_virt_to_phys"):
        return "vm/uaccess"
    if src.startswith("kernel/lib/") or base in ("string.c",):
        return "lib"
    return "other"


VECTOR_KINDS = ["sync", "IRQ", "FIQ", "SError"]
VECTOR_FROM = ["EL1 with SP_EL0", "EL1", "EL0", "EL0 (AArch32)"]


# ---- gdb plumbing ----------------------------------------------------------

def connect():
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("set architecture aarch64", to_string=True)
    gdb.execute("set osabi none", to_string=True)
    gdb.execute("set remotetimeout 30")
    last = None
    for _ in range(100):
        try:
            gdb.execute("target remote 127.0.0.1:%s" % PORT, to_string=True)
            return
        except gdb.error as e:
            last = e
            time.sleep(0.1)
    raise Fail("cannot attach to QEMU's gdb stub on port %s: %s" % (PORT, last))


def raw(packet):
    """Send one remote packet, return the stub's answer."""
    out = gdb.execute("maintenance packet " + packet, to_string=True)
    m = re.search(r'received: "(.*)"', out)
    if not m:
        raise Fail("no answer to %s: %r" % (packet, out))
    return m.group(1)


def raw_reg(n):
    """Register n of the current vCPU (gdb numbering: x0..x30, sp 31, pc 32)."""
    r = raw("p%x" % n)
    try:
        return int.from_bytes(bytes.fromhex(r), "little")
    except ValueError:
        raise Fail("cannot read register %d: %r" % (n, r))


def read_word(addr):
    try:
        return struct.unpack("<I", bytes(gdb.selected_inferior().read_memory(addr, 4)))[0]
    except gdb.MemoryError:
        return None


# ---- the profiler ----------------------------------------------------------

class Op:
    def __init__(self, key, title, bench_re):
        self.key, self.title, self.bench_re = key, title, bench_re
        self.trace = None
        self.cpu = None
        self.svcs = []  # (step index, syscall number)
        self.vectors = []  # (step index, vector 0..15)


class Profiler:
    def __init__(self):
        self.ksyms = Syms(KERNEL)
        self.usyms = Syms(USER)
        for n in ("kanprof_begin", "kanprof_end"):
            if n not in self.usyms.by_name:
                raise Fail("%s has no %s: rebuild kanbench" % (USER, n))
        self.begin = self.usyms.by_name["kanprof_begin"]
        self.end = self.usyms.by_name["kanprof_end"]
        self.vectors = self.ksyms.by_name.get("vectors")
        self.kwords = exec_words(KERNEL)
        self.uwords = exec_words(USER)
        # Call sites of kanprof_begin: return address -> (address, BL word).
        self.sites = {}
        for a, w in self.uwords.items():
            if w & 0xFC000000 == 0x94000000:
                off = (w & 0x3FFFFFF) << 2
                if off & (1 << 27):
                    off -= 1 << 28
                if a + off == self.begin:
                    self.sites[a + 4] = (a, w)
        if not self.sites:
            raise Fail("no call of kanprof_begin in %s" % USER)
        chains = symbolize(USER, [a for a, _ in self.sites.values()])
        self.site_fn = {}
        for ret, (a, _) in self.sites.items():
            fns = [f for f, _ in chains.get(a, [])]
            self.site_fn[ret] = "tx" if "tx" in fns else "scale_at" if "scale_at" in fns else None
        self.first_site = None
        self.sysnames = syscall_names()
        self.irq_note = ""
        self.ops = [
            Op("oneway", "KAN one-way send->recv, receiver waiting on the same core "
               "(kanbench tx -> rx, last of 1000)",
               r"kan one-way send->recv, receiver waiting on the same core: (\d+)"),
            Op("send1", "KAN kan_send1 alone, 2 endpoints bound, nobody waiting "
               "(kanbench scale, last of 1000)",
               r"kan send with 2 endpoints bound by one process: (\d+)"),
        ]

    def word(self, pc):
        return (self.kwords if pc & UPPER else self.uwords).get(pc, 0)

    def which(self, ret):
        """Which operation a stop at kanprof_begin starts (None: not kanbench's)."""
        if ret not in self.sites or read_word(self.sites[ret][0]) != self.sites[ret][1]:
            return None  # another program with code at that address
        fn = self.site_fn[ret]
        if fn is None:
            # No symbolizer: the first call site reached is tx's (the same-core
            # pair runs first in servers/bench.manifest), any other is scale's.
            self.first_site = self.first_site or ret
            fn = "tx" if ret == self.first_site else "scale_at"
        return self.ops[0] if fn == "tx" else self.ops[1]

    def step(self, op, lwp):
        """Single-step vCPU thread lwp from kanprof_begin to kanprof_end."""
        trace, svcs, vecs = [], [], []
        raw("Hgp1.%x" % lwp)
        step = "vCont;s:p1.%x" % lwp
        pc = raw_reg(32)
        t0 = time.time()
        while pc != self.end:
            if len(trace) >= MAX_STEPS:
                raise Fail("%s: no kanprof_end after %d instructions (KANPROF_MAX_STEPS)"
                           % (op.key, MAX_STEPS))
            w = self.word(pc)
            if is_wfi(w):
                return None  # this vCPU idles: the receiver runs on another core
            if is_svc(w):
                svcs.append((len(trace), raw_reg(8)))
            trace.append(pc)
            r = raw(step)
            if not r.startswith("T"):
                raise Fail("%s: single step answered %r (the guest ended?)" % (op.key, r))
            pc = raw_reg(32)
            if self.vectors is not None and 0 <= pc - self.vectors < 0x800 and \
                    (pc - self.vectors) % 0x80 == 0:
                vecs.append((len(trace), (pc - self.vectors) // 0x80))
        gdb.execute("maintenance flush register-cache", to_string=True)
        log("%s: %d instructions stepped in %.1f s" % (op.key, len(trace), time.time() - t0))
        op.trace, op.svcs, op.vectors = trace, svcs, vecs
        return trace

    def run(self):
        connect()
        if IRQ:
            raw("Qqemu.sstep=0x1")
            self.irq_note = "KANPROF_IRQ=1: interrupts and timers were let in while stepping"
        else:
            self.irq_note = "QEMU's gdb stub masks interrupts and timers while stepping"
        gdb.execute("hbreak *%#x" % self.begin, to_string=True)
        while any(o.trace is None for o in self.ops):
            try:
                gdb.execute("continue", to_string=True)
            except gdb.error as e:
                raise Fail("the guest ended before every mark was reached (%s); see %s"
                           % (e, CONSOLE))
            if not gdb.selected_inferior().pid:
                raise Fail("the guest ended before every mark was reached; see %s" % CONSOLE)
            pc = int(gdb.parse_and_eval("$pc")) & ((1 << 64) - 1)
            if pc != self.begin:
                raise Fail("unexpected stop at %#x" % pc)
            op = self.which(int(gdb.parse_and_eval("$x30")) & ((1 << 64) - 1))
            if op is None or op.trace is not None:
                continue  # another program at the same address, or done already
            t = gdb.selected_thread()
            lwp = t.ptid[1] or t.num
            log("%s: kanprof_begin on vCPU %d, stepping" % (op.key, lwp - 1))
            if self.step(op, lwp) is None:
                log("%s: vCPU %d went idle before kanprof_end (receiver on another core?); "
                    "waiting for the next mark" % (op.key, lwp - 1))
                continue
            op.cpu = lwp - 1
        gdb.execute("delete", to_string=True)
        self.write(None)
        # Let the run finish so the profile sits next to that run's own numbers.
        try:
            gdb.execute("continue", to_string=True)
        except gdb.error:
            pass
        self.write(self.bench_numbers())

    def bench_numbers(self):
        try:
            text = open(CONSOLE, errors="replace").read()
        except OSError:
            return None
        res = {}
        for o in self.ops:
            m = re.search(o.bench_re, text)
            res[o.key] = int(m.group(1)) if m else None
        return res

    # ---- report ------------------------------------------------------------

    def attribute(self, pc):
        user = not pc & UPPER
        name, src = (self.usyms if user else self.ksyms).lookup(pc)
        return name, src, phase(user, name, src)

    def calls(self, tr):
        """Shadow call stack over the trace: per step, the caller of the running
        function and the functions on the stack (for inclusive counts). bl/blr
        and svc push, ret and eret pop when they return where the push said; a
        return elsewhere (a context switch) forgets the stack."""
        stack = []  # (function, return address)
        callers, stacks = [], []
        for i, pc in enumerate(tr):
            fn = self.attribute(pc)[0]
            callers.append(stack[-1][0] if stack else "?")
            stacks.append({f for f, _ in stack} | {fn})
            w = self.word(pc)
            nxt = tr[i + 1] if i + 1 < len(tr) else None
            if is_bl(w) or is_svc(w):
                stack.append((fn, pc + 4))
            elif is_ret(w) or is_eret(w):
                if stack and stack[-1][1] == nxt:
                    stack.pop()
                else:
                    stack = []
            elif nxt is not None and self.vectors is not None and \
                    0 <= nxt - self.vectors < 0x800 and (nxt - self.vectors) % 0x80 == 0:
                stack.append((fn, None))  # an interrupt: its eret comes back here
        return callers, stacks

    def report(self, op, bench):
        out = ["== %s ==" % op.title]
        tr = op.trace
        if tr is None:
            return out + ["not measured", ""]
        n = len(tr)

        def pct(k):
            return 100.0 * k / n if n else 0.0
        out.append("kanprof_begin..kanprof_end: %d instructions, single-stepped on vCPU %d"
                   % (n, op.cpu))
        reads = [i for i, pc in enumerate(tr) if is_pmccntr_read(self.word(pc)) and pc < UPPER]
        if len(reads) >= 2:
            win = reads[-1] - reads[0]
            line = ("counted window (first to last PMCCNTR read, as kanbench counts): %d, "
                    "minus the empty measurement (%d): %d" % (win, EMPTY, win - EMPTY))
            if bench and bench.get(op.key) is not None:
                line += "; make bench in this run (mean of 1000): %d" % bench[op.key]
                if IRQ:
                    line += " (not comparable: virtual time ran on while stepping)"
            out.append(line)
            out.append("outside the counted window (the marks' calls, the counter reads): %d"
                       % (n - win))
        kinds = collections.Counter(k for _, k in op.vectors)
        exc = ", ".join("%d %s from %s" % (c, VECTOR_KINDS[k % 4], VECTOR_FROM[k // 4])
                        for k, c in sorted(kinds.items())) or "none"
        out.append("exceptions taken: %s (%s)" % (exc, self.irq_note))
        if op.svcs:
            segs = []
            for idx, nr in op.svcs:
                back = next((j for j in range(idx + 1, n) if not tr[j] & UPPER), n)
                seg = "%s %d" % (self.sysnames.get(nr, "#%d" % nr), back - idx)
                if back < n and tr[back] != tr[idx] + 4:
                    seg += " (returns to another thread: a switch)"
                segs.append(seg)
            out.append("system calls, svc to the next user instruction (a switch included): "
                       + ", ".join(segs))
        callers, stacks = self.calls(tr)
        by_fn, by_phase, incl = collections.Counter(), collections.Counter(), collections.Counter()
        who = collections.defaultdict(collections.Counter)
        where = {}
        for i, pc in enumerate(tr):
            name, src, ph = self.attribute(pc)
            by_fn[name] += 1
            by_phase[ph] += 1
            who[name][callers[i]] += 1
            where[name] = (src, ph)
            for f in stacks[i]:
                incl[f] += 1
        out.append("")
        out.append("  %-13s %7s %7s  %s" % ("by phase", "instrs", "%", "what"))
        for short, what in PHASES:
            if by_phase[short]:
                out.append("  %-13s %7d %6.1f%%  %s" % (short, by_phase[short],
                                                       pct(by_phase[short]), what))
        out.append("  %-13s %7d %6.1f%%" % ("total", n, 100.0))
        out.append("")
        out.append("  %-26s %-12s %-14s %7s %7s %7s  %s" % (
            "by function (self)", "phase", "source", "instrs", "%", "incl", "called from"))
        for name, c in sorted(by_fn.items(), key=lambda kv: (-kv[1], kv[0])):
            src, ph = where[name]
            frm = ", ".join("%s %d" % (f, k) for f, k in who[name].most_common(3)
                            if f != "?" or len(who[name]) == 1)
            out.append("  %-26s %-12s %-14s %7d %6.1f%% %7d  %s" % (
                name[:26], ph, os.path.basename(src)[:14] or "?", c, pct(c), incl[name], frm))
        out.append("  %-26s %-12s %-14s %7d %6.1f%%" % ("total", "", "", n, 100.0))
        out.append("  (incl: instructions while the function was on the call stack as far "
                   "as the trace saw it; called from: self instructions per caller)")
        # Inlining resolved: the innermost source function of every instruction.
        chains = dict(symbolize(KERNEL, {pc for pc in tr if pc & UPPER}))
        chains.update(symbolize(USER, {pc for pc in tr if not pc & UPPER}))
        if chains:
            inner = collections.Counter()
            for pc in tr:
                ch = chains.get(pc)
                if ch:
                    fn, loc = ch[0]
                    if re.match(r"_?ck_", fn):  # Concurrency Kit primitives, one row per symbol
                        fn, loc = "ck_* atomics, fences, locks, rings", ".deps/ck"
                    label = fn if len(ch) == 1 else "%s (in %s)" % (fn, ch[-1][0])
                    inner[(label, loc.rsplit(":", 1)[0])] += 1
                else:
                    inner[(self.attribute(pc)[0], "")] += 1
            out.append("")
            out.append("  %-56s %-16s %7s %7s" % ("by source function, inlining resolved "
                                                  "(innermost, in its symbol)", "file",
                                                  "instrs", "%"))
            rows = sorted(inner.items(), key=lambda kv: (-kv[1], kv[0]))
            for (label, f), c in rows[:INLINE_ROWS]:
                out.append("  %-56s %-16s %7d %6.1f%%" % (label[:56], os.path.basename(f)[:16],
                                                        c, pct(c)))
            rest = sum(c for _, c in rows[INLINE_ROWS:])
            if rest:
                out.append("  %-56s %-16s %7d %6.1f%%" % (
                    "(%d more, at most %d each)" % (len(rows) - INLINE_ROWS, rows[INLINE_ROWS][1]),
                    "", rest, pct(rest)))
        out.append("")
        return out

    def timeline(self, op):
        """Runs of consecutive instructions in one function, in execution order."""
        out = ["== %s: timeline (step, instructions, function) ==" % op.title]
        if op.trace is None:
            return out + [""]
        svc_at = dict(op.svcs)
        start, cur = 0, None
        for i, pc in enumerate(op.trace + [None]):
            key = None if pc is None else (self.attribute(pc)[0], bool(pc & UPPER))
            if key != cur:
                if cur is not None:
                    last = op.trace[i - 1]
                    note = ""
                    if i - 1 in svc_at:
                        nr = svc_at[i - 1]
                        note = "  -> svc %s" % self.sysnames.get(nr, "#%d" % nr)
                    elif is_eret(self.word(last)):
                        note = "  -> eret"
                    out.append("%6d %5d  %s%s%s" % (start, i - start, "" if cur[1] else "user: ",
                                                    cur[0], note))
                start, cur = i, key
        out.append("")
        return out

    def write(self, bench):
        lines = ["KAN profile (make profile, tools/kanprof): every instruction of one "
                 "operation, single-stepped under QEMU -icount shift=0",
                 "kernel %s, user %s" % (rel(KERNEL), rel(USER)), ""]
        trace = []
        for op in self.ops:
            lines += self.report(op, bench)
            trace += self.timeline(op)
        with open(OUT, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(TRACE, "w") as f:
            f.write("\n".join(trace) + "\n")


def main():
    try:
        Profiler().run()
    except Fail as e:
        print("kanprof: error: %s" % e, file=sys.stderr, flush=True)
        os._exit(1)  # tools/kanprof stops QEMU
    os._exit(0)


main()
