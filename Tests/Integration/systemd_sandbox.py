#!/usr/bin/python3
"""Run a command under the sandbox a systemd unit describes, without systemd (it is not PID 1 in CI's container).

    /usr/bin/python3 systemd_sandbox.py UNIT-FILE -- COMMAND ARGS...

Run as root with Debian's python3 (python3-seccomp is built for it; scripts/install-deploy-tools.sh installs it),
inside a mount namespace that rebuilds the unit's file-system settings (test_deploy_artifacts.py's SANDBOX_MOUNTS:
read-only `/`, private /tmp, no home directories, a /proc of processes only). From the unit's [Service] section
it applies what decides whether a program can run at all:
  SystemCallFilter=         the groups resolved by this machine's `systemd-analyze syscall-filter`, as systemd does:
                            an allow-list (plus @default), then `~` lines remove from it. A call outside the list
                            KILLS the process here (systemd would return SystemCallErrorNumber=): stricter, so that
                            a missing call shows up as a dead exporter instead of a quiet EPERM.
  RestrictAddressFamilies=  socket() with another family fails with EAFNOSUPPORT, as under systemd.
  MemoryDenyWriteExecute=   systemd's seccomp rules: no mmap() both writable and executable, no mprotect()/
                            pkey_mprotect() adding PROT_EXEC, no shmat() with SHM_EXEC (EPERM).
  NoNewPrivileges=, CapabilityBoundingSet= (empty): prctl() before exec.
  DynamicUser=              approximated by uid/gid 65534 (nobody) with no supplementary groups.
A setting this helper does not know how to apply is an error, so the unit cannot drift away from what was tested.
"""
import ctypes
import errno
import os
import subprocess
import sys

import seccomp

# Settings that restrict what the process may do at run time and that this helper applies. Everything else in
# [Service] either concerns systemd's own handling (Restart=, ExecReload=, ...) or is file-system and namespace
# setup done by `unshare` around this helper or not reproducible here (PrivateTmp=, ProtectProc=, ...).
APPLIED = {"SystemCallFilter", "SystemCallErrorNumber", "SystemCallArchitectures", "RestrictAddressFamilies",
           "MemoryDenyWriteExecute", "NoNewPrivileges", "CapabilityBoundingSet", "AmbientCapabilities",
           "DynamicUser"}

PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 38, 24
FAMILIES = {"AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10}
AF_MAX = 46  # one past the highest address family of Linux 6.x


def service_settings(unit_path):
    """[Service] key -> list of values (in order; an empty value resets, as in systemd)."""
    settings, section = {}, None
    with open(unit_path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
                continue
            if section != "[Service]":
                continue
            key, _, value = line.partition("=")
            values = settings.setdefault(key.strip(), [])
            if value.strip():
                values.append(value.strip())
            else:
                values.clear()
    return settings


def syscall_groups():
    """@group -> its members (names and @groups), from this machine's systemd."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True, check=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), [])
        elif line.strip() and not line.strip().startswith("#") and current is not None:
            current.append(line.strip())
    return groups


def expand(names, groups):
    result = set()
    for name in names:
        if name.startswith("@"):
            if name not in groups:
                sys.exit(f"systemd_sandbox: unknown system call group {name}")
            result |= expand(groups[name], groups)
        else:
            result.add(name)
    return result


def allowed_syscalls(filters, groups):
    allowed, first = set(), True
    for value in filters:
        deny = value.startswith("~")
        names = expand(value.lstrip("~").split(), groups)
        if first:
            if deny:
                sys.exit("systemd_sandbox: a deny-list first (SystemCallFilter=~...) is not what the unit should use")
            allowed = names | expand(["@default"], groups)
            first = False
        elif deny:
            allowed -= names
        else:
            allowed |= names
    return allowed


def yes(settings, key):
    values = settings.get(key, [])
    return bool(values) and values[-1].lower() in ("yes", "true", "1", "on")


def build_filter(settings):
    unknown = [k for k in ("SystemCallFilter", "RestrictAddressFamilies") if not settings.get(k)]
    if unknown:
        sys.exit(f"systemd_sandbox: the unit sets no {', '.join(unknown)}")
    allowed = allowed_syscalls(settings["SystemCallFilter"], syscall_groups())
    families = set()
    for value in settings["RestrictAddressFamilies"]:
        for name in value.split():
            if name not in FAMILIES:
                sys.exit(f"systemd_sandbox: address family {name} not known to this helper")
            families.add(FAMILIES[name])
    mdwe = yes(settings, "MemoryDenyWriteExecute")

    f = seccomp.SyscallFilter(defaction=seccomp.KILL_PROCESS)
    # Calls that get argument-dependent rules instead of a plain "allow" (libseccomp wants one or the other).
    special = {"socket"} | ({"mmap", "mprotect", "pkey_mprotect", "shmat"} if mdwe else set())
    for name in sorted(allowed - special):
        try:
            f.add_rule(seccomp.ALLOW, name)
        except (RuntimeError, ValueError):
            pass  # not a call of this architecture (e.g. arm_fadvise64_64): systemd skips those too
    if "socket" in allowed:
        for family in range(AF_MAX):
            action = seccomp.ALLOW if family in families else seccomp.ERRNO(errno.EAFNOSUPPORT)
            f.add_rule(action, "socket", seccomp.Arg(0, seccomp.EQ, family))
        f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.GE, AF_MAX))
    if mdwe:
        wx = PROT_WRITE | PROT_EXEC
        if "mmap" in allowed:
            for prot in (0, PROT_WRITE, PROT_EXEC):
                f.add_rule(seccomp.ALLOW, "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, wx, prot))
            f.add_rule(seccomp.ERRNO(errno.EPERM), "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, wx, wx))
        for name in ("mprotect", "pkey_mprotect"):
            if name in allowed:
                f.add_rule(seccomp.ALLOW, name, seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, 0))
                f.add_rule(seccomp.ERRNO(errno.EPERM), name, seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
        if "shmat" in allowed:
            f.add_rule(seccomp.ALLOW, "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, 0))
            f.add_rule(seccomp.ERRNO(errno.EPERM), "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
    return f


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    unit, command = sys.argv[1], sys.argv[3:]
    settings = service_settings(unit)
    if os.geteuid() != 0:
        sys.exit("systemd_sandbox: run as root (it drops to nobody itself)")
    if not yes(settings, "DynamicUser") or not yes(settings, "NoNewPrivileges"):
        sys.exit("systemd_sandbox: the unit must set DynamicUser=yes and NoNewPrivileges=yes")
    if settings.get("CapabilityBoundingSet") or settings.get("AmbientCapabilities"):
        sys.exit("systemd_sandbox: the unit must leave CapabilityBoundingSet= and AmbientCapabilities= empty")
    seccomp_filter = build_filter(settings)

    libc = ctypes.CDLL(None, use_errno=True)
    # Every capability the kernel knows: the first EINVAL is one past the last (/proc/sys may be hidden already).
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            if ctypes.get_errno() == errno.EINVAL and cap > 0:
                break
            sys.exit(f"systemd_sandbox: PR_CAPBSET_DROP {cap}: {os.strerror(ctypes.get_errno())}")
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        sys.exit(f"systemd_sandbox: PR_SET_NO_NEW_PRIVS: {os.strerror(ctypes.get_errno())}")
    seccomp_filter.load()
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
