#!/usr/bin/env python3
"""Where a JMH benchmark's time goes, by inlined method, on a machine without hardware counters.

perf's cpu-clock sampling works where its cycle counter does not; the JIT's compiled code is
mapped back to Java by HotSpot itself: -XX:CompileCommand=print dumps a method's machine code as
hex with, under -XX:+DebugNonSafepoints, the inlining chain of (nearly) every instruction. This
script reads one such dump and one perf recording of the same JVM and prints, for each compiled
method named, how many ns per operation its samples come to, grouped by the innermost method of
ours (org.mptunnel) each sample's instruction was inlined from. What is not in the named methods
(the JDK's copy stubs, mostly) is the rest of the score.

Run (benchmark on CPU 1, perf after the warm-up, the fork's output kept):

  taskset -c 1 chrt -r 10 java -jar benchmarks/target/benchmarks.jar InProcessPathBenchmark \\
      -f 1 -wi 3 -i 8 -w 1s -r 1s -p payload=1400 -jvmArgsAppend "-XX:+UnlockDiagnosticVMOptions \\
      -XX:+DebugNonSafepoints -XX:CompileCommand=quiet \\
      -XX:CompileCommand=print,*InProcessPathBenchmark::roundTrip -XX:CompileCommand=print,*Engine::read" \\
      > fork.out 2>&1 &
  sleep 9; perf record -C 1 -e cpu-clock -F 5000 -o perf.data -- sleep 5
  benchmarks/jit-profile.py fork.out perf.data SCORE InProcessPathBenchmark::roundTrip Engine::read

SCORE is the benchmark's ns/op from fork.out. Needs perf and objdump.
"""
import bisect
import collections
import re
import subprocess
import sys

HEX = re.compile(r'^\s*0x([0-9a-f]+): ([0-9a-f][0-9a-f |]*)\s*$')
NOTE = re.compile(r'^\s*0x([0-9a-f]+): (;.*)$')
KERNEL = 0xffff800000000000


def last_c2_dump(lines, method):
    """The machine code and the per-address notes of the last C2 compilation of method."""
    starts = [i for i, l in enumerate(lines) if l.startswith('Compiled method (c2)') and method in l]
    if not starts:
        sys.exit('no C2 dump of %s: is it in a -XX:CompileCommand=print?' % method)
    code, notes, at = {}, collections.defaultdict(list), None
    for line in lines[starts[-1] + 1:]:
        if line.startswith('Compiled method') or line.startswith('[Stub Code]'):
            break
        m = HEX.match(line)
        if m:
            code[int(m.group(1), 16)] = bytes.fromhex(m.group(2).replace('|', '').replace(' ', ''))
            at = None
            continue
        m = NOTE.match(line)
        if m:
            at = int(m.group(1), 16)
            notes[at].append(m.group(2).strip())
        elif at is not None and line.strip().startswith(';'):
            notes[at].append(line.strip())
    return code, notes


def frames(notes, address):
    return [n[4:].split(' (line')[0].split('@')[0] for n in notes[address] if n.startswith('; -')]


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    dump, recording, score, methods = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
    samples = collections.Counter(int(ip, 16) for ip in subprocess.run(
        ['perf', 'script', '-i', recording, '-F', 'ip'], capture_output=True, text=True, check=True).stdout.split())
    user = sum(n for ip, n in samples.items() if ip < KERNEL)  # the benchmark's own CPU time
    lines = open(dump, errors='replace').read().split('\n')
    for method in methods:
        code, notes = last_c2_dump(lines, method)
        start, end = min(code), max(a + len(b) for a, b in code.items())
        annotated = sorted(a for a in notes if frames(notes, a))
        by_method = collections.Counter()
        for ip, n in samples.items():
            if start <= ip < end:
                k = bisect.bisect_right(annotated, ip) - 1
                ours = [f for f in frames(notes, annotated[k]) if f.startswith('org.mptunnel')] if k >= 0 else []
                by_method[ours[0] if ours else '?'] += n
        print('%s: %.1f ns/op' % (method, score * sum(by_method.values()) / user))
        for name, n in by_method.most_common():
            if score * n / user >= 0.1:
                print('  %5.1f  %s' % (score * n / user, name))


if __name__ == '__main__':
    main()
