#!/usr/bin/env python3
"""Runs a command under the process limits of deploy/systemd/pixelunion.service
that do not need systemd: no new privileges, no writable-and-executable
memory (prctl PR_SET_MDWE, Linux 6.3+, what MemoryDenyWriteExecute= asks
for), no core files, at most 64 MiB of lockable memory. The packaging test starts
the server through it and uses it (photos and a video through ffmpeg).

    scripts/run-sandboxed.py COMMAND [ARG...]
"""
import ctypes
import os
import resource
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1

libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
    sys.exit(f"no_new_privs: errno {ctypes.get_errno()}")
if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit(f"PR_SET_MDWE (Linux 6.3+ needed): errno {ctypes.get_errno()}")
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
# 64 MiB of lockable memory, or what this machine allows if that is less
_, hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
want = 64 << 20 if hard == resource.RLIM_INFINITY else min(64 << 20, hard)
resource.setrlimit(resource.RLIMIT_MEMLOCK, (want, want))
os.execvp(sys.argv[1], sys.argv[1:])
