#!/usr/bin/env python3
"""The Windows floor check (ctest windows_imports_floor_win7): the shipped programs load on Windows 7 SP1 /
Server 2008 R2 (NT 6.1, docs/windows.md).

For each binary: every imported function must be listed in the reviewed table (windows-imports.txt: DLL,
function, minimum Windows version per Microsoft's documentation) with a minimum no newer than the floor,
nothing may be imported by ordinal (the table could not name it), and the PE header's
MajorOperatingSystemVersion/MajorSubsystemVersion pairs must not ask for more than the floor (the loader
refuses an image whose subsystem version is newer than the system).

usage: check_imports.py <table> <floor, e.g. 6.1> <objdump>=<binary>...
"""
import re
import subprocess
import sys


def version(text):
    major, minor = text.split(".")
    return int(major), int(minor)


def read_table(path):
    table = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            dll, function, minimum = line.split()
            key = (dll.lower(), function)
            if key in table:
                sys.exit(f"{path}:{number}: {dll} {function} listed twice")
            table[key] = version(minimum)
    return table


def read_binary(objdump, path):
    """(imports [(dll, function or '#ordinal')], {header field: value})"""
    dump = subprocess.run([objdump, "-p", path], check=True, capture_output=True, text=True).stdout
    # The import section: from its title to the next line that starts in column 0.
    section = re.search(r"^The Import Tables.*?\n(.*?)(?=^\S)", dump, re.S | re.M)
    imports, dll = [], None
    for line in section.group(1).splitlines() if section else []:
        m = re.match(r"\tDLL Name: (\S+)", line)
        if m:
            dll = m.group(1).lower()
            continue
        # "\t<hint/name RVA>\t<hint> <name>"; an import by ordinal is "\t<thunk>\t<ordinal>  <none>"
        m = re.match(r"\t\s*[0-9a-f]+\s+(\d+)\s+(\S+)$", line)
        if dll and m:
            imports.append((dll, "#" + m.group(1) if m.group(2) == "<none>" else m.group(2)))
    header = {}
    for field in ("MajorOSystemVersion", "MinorOSystemVersion", "MajorSubsystemVersion", "MinorSubsystemVersion"):
        header[field] = int(re.search(field + r"\s+(\d+)", dump).group(1))
    return imports, header


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    table, floor = read_table(argv[1]), version(argv[2])
    floor_text = argv[2]
    errors, seen = [], set()
    for spec in argv[3:]:
        objdump, path = spec.split("=", 1)
        imports, header = read_binary(objdump, path)
        if not imports:
            errors.append(f"{path}: no imports read (objdump output not understood)")
        for prefix in ("OSystem", "Subsystem"):
            asked = (header[f"Major{prefix}Version"], header[f"Minor{prefix}Version"])
            if asked > floor:
                errors.append(f"{path}: PE header Major/Minor{prefix}Version {asked[0]}.{asked[1]} is newer than "
                              f"the floor {floor_text}: Windows {floor_text} would refuse to load it (linker "
                              f"option --{'os' if prefix == 'OSystem' else 'subsystem'}-version / --subsystem)")
        newest = (0, 0)
        for dll, function in imports:
            seen.add((dll, function))
            minimum = table.get((dll, function))
            if function.startswith("#"):
                errors.append(f"{path}: imports {dll} ordinal {function[1:]}: import by name, so the table can "
                              f"review it")
            elif minimum is None:
                errors.append(f"{path}: imports {dll} {function}, which is not in {argv[1]}: check its minimum "
                              f"supported Windows version in Microsoft's documentation and add it")
            elif minimum > floor:
                errors.append(f"{path}: imports {dll} {function}, which needs Windows NT {minimum[0]}.{minimum[1]}: "
                              f"newer than the floor {floor_text}; load it with GetProcAddress and fall back, or "
                              f"use an older API")
            else:
                newest = max(newest, minimum)
        print(f"{path}: {len(imports)} imports from {len({d for d, _ in imports})} DLLs, newest {newest[0]}.{newest[1]};"
              f" PE OS version {header['MajorOSystemVersion']}.{header['MinorOSystemVersion']}, subsystem "
              f"{header['MajorSubsystemVersion']}.{header['MinorSubsystemVersion']}")
    print(f"{len(seen)} distinct imports checked against {len(table)} table entries (floor {floor_text})")
    if errors:
        print("FAILED:\n" + "\n".join(errors))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
