#!/usr/bin/env python3
"""What every shipped Linux binary asks of the system it runs on (ctest `portability_binaries`).

1C:Enterprise servers run on Astra Linux SE 1.7, ALT 8 SP, Ubuntu 18.04, Debian 10/11, RHEL/CentOS 7: glibc
2.17 to 2.31, no libssl3, an older libstdc++. A binary that needs a newer glibc symbol version or a library
those systems lack does not load there (for the add-in 1C only says "Ложь"), so this test reads each shipped
binary with readelf and fails on:
  - a GLIBC_ symbol version above the floor (add-in 2.17, service and 1chserverctl 2.27);
  - any GLIBCXX_/CXXABI_/GCC_ version (libstdc++ and libgcc are to be linked in statically);
  - a NEEDED library outside the allowed list (glibc's own; libsystemd.so.0 for the service and ctl);
  - for the add-in, a dynamic export other than the five Native API entry points;
  - debug sections in a shipped file, or no separate debug file for it (release files are stripped; the
    file their .gnu_debuglink names, with the CRC it records, must be in the build tree);
  - in the .deb: an ELF file nobody checks, a Depends naming libssl3, a libc6 minimum above 2.27.
It reads the add-in from 1chserver-addin.zip (the file 1C really loads), and the files of the .deb that
cpack builds from the same build tree. For each binary it prints the highest GLIBC_ version, the NEEDED
list and the size, so the figures are in the test log whether it passes or not.

Usage: check_binaries.py --build <build dir> --service <1chserver> --ctl <1chserverctl> [--cpack <cpack>]
                         [--work <dir>] [--debug-dir <dir>]
  Without --cpack the .deb is not built and only the build tree's files are checked.
  Exit code 0 when every rule holds, 1 otherwise, 77 (skipped) without readelf/objcopy/dpkg-deb.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
import zlib

GLIBC_LIBS = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2"}
ADDIN_EXPORTS = {"GetClassObject", "DestroyObject", "GetClassNames", "SetPlatformCapabilities", "GetAttachType"}
# The floors: the add-in loads into 1C on CentOS 7 (glibc 2.17); the service and its tool run where 1C's
# oldest still supported servers run (ALT 8 SP, Ubuntu 18.04: glibc 2.27).
RULES = {
    "addin": {"glibc": (2, 17), "needed": GLIBC_LIBS, "exports": ADDIN_EXPORTS},
    "program": {"glibc": (2, 27), "needed": GLIBC_LIBS | {"libsystemd.so.0"}, "exports": None},
}
DEB_LIBC_FLOOR = (2, 27)
# Libraries linked in statically (or not at all) must not be asked of the system either as a NEEDED entry
# or as a package dependency the oldest distributions cannot satisfy.
DEB_FORBIDDEN = {"libssl3"}


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def version_tuple(text):
    return tuple(int(part) for part in text.split("."))


def show_version(version):
    return ".".join(str(part) for part in version)


def few(names, count=8):
    """A readable sample of a long symbol list."""
    shown = ", ".join(names[:count])
    return shown + (f" (+{len(names) - count} more)" if len(names) > count else "")


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


class Binary:
    """One ELF file as readelf sees it."""

    def __init__(self, path, label):
        self.path = path
        self.label = label
        self.size = os.path.getsize(path)
        dynamic = run("readelf", "-d", "-W", path)
        self.needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
        # Version needs (.gnu.version_r): what the dynamic loader checks before running anything.
        versions = run("readelf", "-V", "-W", path)
        self.version_needs = sorted(
            set(re.findall(r"Name: (\S+)\s+Flags:", versions.split(".gnu.version_r")[-1])),
            key=lambda v: [int(p) if p.isdigit() else p for p in re.split(r"[_.]", v)],
        )
        if ".gnu.version_r" not in versions:
            self.version_needs = []
        self.version_defs = set(re.findall(r"Name: (\S+)$", versions.split(".gnu.version_r")[0], re.M))
        self.symbols = []  # (name, version or '', defined, bind, type)
        for line in run("readelf", "--dyn-syms", "-W", path).splitlines():
            fields = line.split()
            if len(fields) < 8 or not fields[0].rstrip(":").isdigit():
                continue
            _, _, _, kind, bind, _, ndx, name = fields[:8]
            if not name:
                continue
            base, _, version = name.partition("@")
            version = version.lstrip("@")
            self.symbols.append((base, version, ndx != "UND", bind, kind))
        sections = run("readelf", "-S", "-W", path)
        names = re.findall(r"^\s*\[\s*\d+\]\s+(\S+)", sections, re.M)
        self.debug_sections = [n for n in names if n.startswith((".debug_", ".zdebug_"))]
        self.has_symtab = ".symtab" in names
        self.debuglink = None  # (file name, CRC32) of the separate debug file, from .gnu_debuglink
        if ".gnu_debuglink" in names:
            with tempfile.TemporaryDirectory() as scratch:
                dump = os.path.join(scratch, "debuglink")
                run("objcopy", "--dump-section", f".gnu_debuglink={dump}", path, os.path.join(scratch, "copy"))
                with open(dump, "rb") as f:
                    data = f.read()
            name = data.split(b"\0", 1)[0]
            crc_at = (len(name) + 1 + 3) // 4 * 4
            self.debuglink = (name.decode(), int.from_bytes(data[crc_at : crc_at + 4], "little"))

    def glibc_versions(self):
        return sorted(
            (version_tuple(v[len("GLIBC_") :]) for v in self.version_needs if re.fullmatch(r"GLIBC_\d+(\.\d+)*", v)),
        )

    def symbols_of(self, version):
        return sorted({name for name, ver, defined, _, _ in self.symbols if ver == version and not defined})


def file_crc(path):
    with open(path, "rb") as f:
        return zlib.crc32(f.read()) & 0xFFFFFFFF


def find_debug_files(folders, skip, wanted):
    """name -> paths of the files of those names under folders (not under skip, nor CMakeFiles)."""
    found = {}
    for folder in folders:
        for directory, subdirs, files in os.walk(folder):
            subdirs[:] = [d for d in subdirs if os.path.join(directory, d) != skip and d != "CMakeFiles"]
            for name in files:
                path = os.path.join(directory, name)
                if name in wanted and os.path.isfile(path) and not os.path.islink(path):
                    found.setdefault(name, []).append(path)
    return found


debug_files = {}


def check_binary(binary, kind, shipped):
    """Prints the binary's figures; returns the list of broken rules."""
    rules = RULES[kind]
    problems = []
    glibc = binary.glibc_versions()
    highest = show_version(glibc[-1]) if glibc else "none"
    print(f"{binary.label}")
    print(f"  size {binary.size} bytes; highest GLIBC_{highest}; NEEDED {', '.join(binary.needed) or '(none)'}")
    print(f"  version needs: {' '.join(binary.version_needs) or '(none)'}")
    print(
        f"  sections: debug {'yes' if binary.debug_sections else 'no'}, symtab {'yes' if binary.has_symtab else 'no'},"
        f" debuglink {binary.debuglink[0] if binary.debuglink else 'none'}"
    )

    runtime = []  # libstdc++/libgcc versions, reported as one problem
    for version in binary.version_needs:
        match = re.fullmatch(r"GLIBC_(\d+(?:\.\d+)*)", version)
        if match and version_tuple(match.group(1)) > rules["glibc"]:
            problems.append(
                f"needs {version} (floor GLIBC_{show_version(rules['glibc'])}): {few(binary.symbols_of(version))}"
            )
        elif version.startswith(("GLIBCXX_", "CXXABI_", "GCC_")):
            runtime.append(version)
    if runtime:
        symbols = sorted({s for v in runtime for s in binary.symbols_of(v)})
        problems.append(
            f"needs {' '.join(runtime)} (libstdc++/libgcc must be linked statically): {len(symbols)} symbols,"
            f" e.g. {few(symbols, 4)}"
        )
    for library in binary.needed:
        if library not in rules["needed"]:
            problems.append(f"NEEDED {library} is not one of glibc's own libraries" + (
                " or libsystemd.so.0" if "libsystemd.so.0" in rules["needed"] else ""))

    if rules["exports"] is not None:
        # Defined dynamic symbols, less the version-definition symbols a version script adds (ABS, named
        # like the version node): exactly the Native API entry points, nothing C++, nothing weak.
        exported = {
            (name, bind)
            for name, _, defined, bind, kind_ in binary.symbols
            if defined and not (kind_ == "OBJECT" and name in binary.version_defs) and name not in binary.version_defs
        }
        names = {name for name, _ in exported}
        print(f"  exports: {', '.join(sorted(names)) or '(none)'}")
        extra = sorted(names - rules["exports"])
        missing = sorted(rules["exports"] - names)
        if extra:
            problems.append(f"exports {len(extra)} symbol(s) besides the Native API: {few(extra)}")
        if missing:
            problems.append(f"does not export {', '.join(missing)}")
        weak = sorted(name for name, bind in exported if bind != "GLOBAL")
        if weak:
            problems.append(f"non-global exports: {few(weak)}")

    if shipped and binary.debug_sections:
        problems.append(f"shipped with debug sections ({len(binary.debug_sections)}): not stripped")
    if shipped:
        # The debug info ships separately: the file .gnu_debuglink names, with the CRC it records.
        if not binary.debuglink:
            problems.append("no .gnu_debuglink: no separate debug file is tied to it")
        else:
            name, crc = binary.debuglink
            found = debug_files.get(name, [])
            matching = [f for f in found if file_crc(f) == crc]
            if matching:
                print(f"  debug file: {matching[0]} ({os.path.getsize(matching[0])} bytes, CRC matches)")
            else:
                problems.append(
                    f"separate debug file {name} (CRC {crc:08x}) not found"
                    + (f"; files of that name have another CRC: {', '.join(found)}" if found else "")
                )
    for problem in problems:
        print(f"  FAIL: {problem}")
    if not problems:
        print("  ok")
    # The summary names the rule only; the symbols are above.
    return [f"{binary.label}: {p.split(': ')[0] if p.startswith('needs') else p}" for p in problems]


def addin_from_zip(zip_path, into, label):
    """The Linux library the zip's MANIFEST.XML names (the file 1C loads), extracted."""
    with zipfile.ZipFile(zip_path) as archive:
        manifest = archive.read("MANIFEST.XML").decode("utf-8")
        paths = re.findall(r'<component\s[^>]*os="Linux"[^>]*>', manifest)
        names = [re.search(r'path="([^"]+)"', c).group(1) for c in paths if 'arch="x86_64"' in c]
        if len(names) != 1:
            raise SystemExit(f"FAIL: {label}: MANIFEST.XML names {len(names)} Linux x86_64 libraries: {manifest}")
        os.makedirs(into, exist_ok=True)
        archive.extract(names[0], into)
        # Every ELF in the zip is shipped: a Linux library the manifest does not name is a mistake too.
        others = [
            n for n in archive.namelist() if n != names[0] and archive.read(n)[:4] == b"\x7fELF"
        ]
        if others:
            raise SystemExit(f"FAIL: {label}: ELF files the manifest does not name: {', '.join(others)}")
    return os.path.join(into, names[0])


def check_deb(cpack, build, work):
    """Builds the .deb, checks its Depends and returns its binaries as (path, kind, label)."""
    problems = []
    package_dir = os.path.join(work, "package")
    shutil.rmtree(package_dir, ignore_errors=True)
    result = subprocess.run(
        [cpack, "--config", os.path.join(build, "CPackConfig.cmake"), "-G", "DEB", "-B", package_dir],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"FAIL: cpack: {result.stdout[-2000:]}{result.stderr[-2000:]}")
    debs = [f for f in os.listdir(package_dir) if f.startswith("1chserver_") and f.endswith(".deb")]
    if len(debs) != 1:
        raise SystemExit(f"FAIL: cpack made no single 1chserver_*.deb: {debs}")
    deb = os.path.join(package_dir, debs[0])
    print(f"package {debs[0]}: {os.path.getsize(deb)} bytes")

    depends = run("dpkg-deb", "-f", deb, "Depends").strip()
    print(f"  Depends: {depends}")
    entries = [e.strip() for e in depends.split(",") if e.strip()]
    libc_minimum = None
    for entry in entries:
        for alternative in entry.split("|"):
            match = re.match(r"\s*([^\s(]+)\s*(?:\(\s*([<>=]+)\s*([^)\s]+)\s*\))?", alternative)
            name, relation, version = match.groups()
            if name in DEB_FORBIDDEN:
                problems.append(f"Depends names {name}, which the oldest supported distributions lack")
            if name == "libc6":
                if relation != ">=":
                    problems.append(f"Depends names libc6 without a minimum version: {alternative.strip()}")
                else:
                    libc_minimum = version_tuple(re.match(r"\d+(?:\.\d+)*", version).group(0))
    if libc_minimum is None:
        problems.append("Depends declares no libc6 (>= ...)")
    elif libc_minimum > DEB_LIBC_FLOOR:
        problems.append(
            f"Depends asks for libc6 >= {show_version(libc_minimum)}, above {show_version(DEB_LIBC_FLOOR)}"
        )
    else:
        print(f"  libc6 minimum {show_version(libc_minimum)} (floor {show_version(DEB_LIBC_FLOOR)}): ok")
    for problem in problems:
        print(f"  FAIL: {problem}")

    root = os.path.join(work, "deb-root")
    shutil.rmtree(root, ignore_errors=True)
    run("dpkg-deb", "-x", deb, root)
    binaries = []
    for directory, _, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(directory, name)
            shown = "/" + os.path.relpath(path, root)
            if os.path.islink(path):
                continue
            if path.startswith(os.path.join(root, "usr", "bin")) and is_elf(path):
                binaries.append((path, "program", f".deb {shown}"))
            elif name.endswith(".zip"):
                so = addin_from_zip(path, os.path.join(work, "deb-zip"), f".deb {shown}")
                binaries.append((so, "addin", f".deb {shown}!{os.path.basename(so)}"))
            elif is_elf(path):
                # An ELF file no rule covers: a new shipped binary must get its own rules here first.
                problems.append(f".deb {shown}: an ELF file this test has no rules for")
    for expected in ("1chserver", "1chserverctl"):
        if not any(label == f".deb /usr/bin/{expected}" for _, _, label in binaries):
            problems.append(f".deb lacks /usr/bin/{expected}")
    if not any(kind == "addin" for _, kind, _ in binaries):
        problems.append(".deb holds no add-in zip")
    return binaries, [f".deb: {p}" for p in problems]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="the build tree (1chserver-addin.zip, service/, cpack config)")
    parser.add_argument("--service", required=True, help="the built 1chserver")
    parser.add_argument("--ctl", required=True, help="the built 1chserverctl")
    parser.add_argument("--cpack", help="cpack, to build and check the .deb")
    parser.add_argument("--work", help="scratch folder (default: a temporary one)")
    parser.add_argument("--debug-dir", help="where the separate debug files are (default: the build tree)")
    args = parser.parse_args()

    for tool in ("readelf", "objcopy", "dpkg-deb") if args.cpack else ("readelf", "objcopy"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed")
            return 77

    work = args.work or tempfile.mkdtemp(prefix="portability-")
    os.makedirs(work, exist_ok=True)
    problems = []
    zip_path = os.path.join(args.build, "1chserver-addin.zip")
    if not os.path.isfile(zip_path):
        print(f"FAIL: {zip_path} is not built (target addin_package)")
        return 1
    # The build tree's files: the zip is what ships; the programs are those cpack strips into the .deb.
    addin = addin_from_zip(zip_path, os.path.join(work, "zip"), "1chserver-addin.zip")
    binaries = [
        (addin, "addin", f"build 1chserver-addin.zip!{os.path.basename(addin)}", True),
        (args.service, "program", "build 1chserver", False),
        (args.ctl, "program", "build 1chserverctl", False),
    ]
    if args.cpack:
        deb_binaries, deb_problems = check_deb(args.cpack, args.build, work)
        problems += deb_problems
        binaries += [(path, kind, label, True) for path, kind, label in deb_binaries]

    global debug_files
    read = [(Binary(path, label), kind, shipped) for path, kind, label, shipped in binaries]
    wanted = {binary.debuglink[0] for binary, _, _ in read if binary.debuglink}
    debug_files = find_debug_files([args.debug_dir or args.build], os.path.realpath(work), wanted)
    for binary, kind, shipped in read:
        problems += check_binary(binary, kind, shipped)

    print()
    if problems:
        print(f"FAIL: {len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(f"PASS: {len(binaries)} binaries within their floors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
