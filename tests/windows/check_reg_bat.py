#!/usr/bin/env python3
"""ctest windows_x86_reg_bat: reg/reg.bat and reg/unreg.bat register (unregister) the COM add-in for both
bitnesses with the regsvr32 of the dll's own bitness. A 64-bit regsvr32 cannot load the x86 dll and
writes the 64-bit registry view, which 32-bit 1C never reads, so a swapped pair fails silently on a real
machine; 32-bit regsvr32 cannot run here (no 32-bit Wine), so the files are read, not run.

Checked, per file:
 - on 64-bit Windows (the `if "%WIN64%"=="1"` branch): x64\\1chserver_com.dll with the 64-bit
   regsvr32 (%SystemRoot%\\System32, or Sysnative when the batch runs in a 32-bit cmd.exe) and
   x86\\1chserver_com.dll with %SystemRoot%\\SysWOW64\\regsvr32.exe;
 - on 32-bit Windows (the else branch): only x86\\1chserver_com.dll, with System32's regsvr32;
 - the subroutine runs the given regsvr32 silently (/s), with /u in unreg.bat.

usage: check_reg_bat.py <reg.bat> <unreg.bat>
"""
import re
import sys


def check(path, unregister):
    text = open(path, encoding="utf-8").read()
    errors = []
    variables = dict(re.findall(r'^\s*set "(\w+)=([^"]*)"', text, re.M))
    expected_vars = {"X64DLL": r"%HERE%x64\1chserver_com.dll", "X86DLL": r"%HERE%x86\1chserver_com.dll",
                     "SYS64": r"%SystemRoot%\System32"}
    for name, value in expected_vars.items():
        if variables.get(name) != value:
            errors.append(f"{name} is {variables.get(name)!r}, expected {value!r}")
    if not re.search(r'^\s*if defined PROCESSOR_ARCHITEW6432 set "SYS64=%SystemRoot%\\Sysnative"', text, re.M):
        errors.append("SYS64 does not switch to Sysnative in a 32-bit cmd.exe (PROCESSOR_ARCHITEW6432)")

    # The two branches of the bitness test (at the left margin; nested blocks are indented).
    branches = re.search(r'^if "%WIN64%"=="1" \((.*?)^\) else \((.*?)^\)\s*$', text, re.S | re.M)
    if not branches:
        return errors + ['no `if "%WIN64%"=="1" ( ... ) else ( ... )` block']

    def calls(block):
        pairs = set()
        for program, dll in re.findall(r'call :register "([^"]+)" "([^"]+)"', block):
            program = program.replace("%SYS64%", "<64-bit>")
            pairs.add((program, dll))
        return pairs

    want64 = {("<64-bit>\\regsvr32.exe", "%X64DLL%"), ("%SystemRoot%\\SysWOW64\\regsvr32.exe", "%X86DLL%")}
    want32 = {("%SystemRoot%\\System32\\regsvr32.exe", "%X86DLL%")}
    if calls(branches.group(1)) != want64:
        errors.append(f"64-bit Windows: registers {sorted(calls(branches.group(1)))}, expected {sorted(want64)}")
    if calls(branches.group(2)) != want32:
        errors.append(f"32-bit Windows: registers {sorted(calls(branches.group(2)))}, expected {sorted(want32)}")

    subroutine = re.search(r"^:register\s*\n(.*)", text, re.S | re.M)
    run = re.search(r'^"%~1" (.*)$', subroutine.group(1), re.M) if subroutine else None
    options = run.group(1).split() if run else []
    want_options = {"/s", '"%~2"'} | ({"/u"} if unregister else set())
    if set(options) != want_options:
        errors.append(f":register runs regsvr32 with {options}, expected {sorted(want_options)}")
    return errors


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    failed = False
    for path, unregister in ((argv[1], False), (argv[2], True)):
        errors = check(path, unregister)
        verb = "unregisters" if unregister else "registers"
        if errors:
            failed = True
            print(f"{path}: FAILED\n  " + "\n  ".join(errors))
        else:
            print(f"{path}: {verb} x64 with the 64-bit regsvr32 and x86 with SysWOW64's on 64-bit Windows, "
                  f"x86 with System32's on 32-bit Windows")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
