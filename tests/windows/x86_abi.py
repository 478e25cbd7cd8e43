#!/usr/bin/env python3
"""Static x86 ABI check of the 32-bit add-in dlls (ctest windows_x86_abi_native / windows_x86_abi_com).

32-bit code cannot run on these machines, so what 1C relies on is read from the unstripped MinGW dlls:
 - every interface method 1C calls through a vtable slot: on x86 these are __stdcall (ADDIN_API for the
   Native API, STDMETHODCALLTYPE for COM), the callee pops its arguments, and a wrong count in our
   declaration corrupts 1C's stack on return. Every `ret $N` of each slot's implementation (the target
   of an adjustor thunk, and its .cold part) must equal 4 (`this`) + 4 per 32-bit parameter;
 - the exported entry points: Native API exports are cdecl (`ret`), COM's are STDAPI (__stdcall);
 - the slot order (method names, slot by slot, interface by interface) equals the x64 dll's.

The expected signatures below are written from the project's ABI notes (the signature lists of 1C's
Native API and COM add-in technology) and Microsoft's documentation of IUnknown, IDispatch and
IClassFactory, not from our headers: the point is to catch the headers being wrong.

usage: x86_abi.py native|com <x86 dll> <x64 dll>
"""
import re
import subprocess
import sys

# --- What 1C (and OLE) declare, interface by interface, in vtable order ------------------------------
IUNKNOWN = """
HRESULT QueryInterface(REFIID, void**)
ULONG AddRef()
ULONG Release()
"""
NATIVE_INTERFACES = [
    # MSVC's virtual destructor is one slot (1C on Windows is built with MSVC): the scalar deleting
    # destructor, __thiscall with one `unsigned flags` on the stack, so the callee pops 4 bytes.
    ("IInitDoneBase", """
~destructor(unsigned)
bool Init(void* connection)
bool setMemManager(void* mem)
long GetInfo()
void Done()
"""),
    ("ILanguageExtenderBase", """
~destructor(unsigned)
bool RegisterExtensionAs(WCHAR_T** name)
long GetNProps()
long FindProp(const WCHAR_T*)
const WCHAR_T* GetPropName(long prop, long alias)
bool GetPropVal(long, tVariant*)
bool SetPropVal(long, tVariant*)
bool IsPropReadable(long)
bool IsPropWritable(long)
long GetNMethods()
long FindMethod(const WCHAR_T*)
const WCHAR_T* GetMethodName(long, long alias)
long GetNParams(long)
bool GetParamDefValue(long method, long param, tVariant*)
bool HasRetVal(long)
bool CallAsProc(long, tVariant* params, long count)
bool CallAsFunc(long, tVariant* ret, tVariant* params, long count)
"""),
    ("LocaleBase", """
~destructor(unsigned)
void SetLocale(const WCHAR_T*)
"""),
    ("UserLanguageBase", """
~destructor(unsigned)
void SetUserInterfaceLanguageCode(const WCHAR_T*)
"""),
]
COM_INTERFACES = [
    ("IInitDone", IUNKNOWN + """
HRESULT Init(IDispatch* connection)
HRESULT Done()
HRESULT GetInfo(SAFEARRAY** info)
"""),
    ("ILanguageExtender", IUNKNOWN + """
HRESULT RegisterExtensionAs(BSTR*)
HRESULT GetNProps(long*)
HRESULT FindProp(BSTR, long*)
HRESULT GetPropName(long, long, BSTR*)
HRESULT GetPropVal(long, VARIANT*)
HRESULT SetPropVal(long, VARIANT*)
HRESULT IsPropReadable(long, BOOL*)
HRESULT IsPropWritable(long, BOOL*)
HRESULT GetNMethods(long*)
HRESULT FindMethod(BSTR, long*)
HRESULT GetMethodName(long, long, BSTR*)
HRESULT GetNParams(long, long*)
HRESULT GetParamDefValue(long, long, VARIANT*)
HRESULT HasRetVal(long, BOOL*)
HRESULT CallAsProc(long, SAFEARRAY**)
HRESULT CallAsFunc(long, VARIANT*, SAFEARRAY**)
"""),
    # 1C also calls the object through IDispatch (late binding); Microsoft's declaration.
    ("IDispatch", IUNKNOWN + """
HRESULT GetTypeInfoCount(UINT*)
HRESULT GetTypeInfo(UINT, LCID, ITypeInfo**)
HRESULT GetIDsOfNames(REFIID, LPOLESTR*, UINT, LCID, DISPID*)
HRESULT Invoke(DISPID, REFIID, LCID, WORD, DISPPARAMS*, VARIANT*, EXCEPINFO*, UINT*)
"""),
]
COM_FACTORY = [
    ("IClassFactory", IUNKNOWN + """
HRESULT CreateInstance(IUnknown*, REFIID, void**)
HRESULT LockServer(BOOL)
"""),
]
# Exported entry points: (name, bytes the callee pops). Native API: extern "C", default convention
# (cdecl: the caller pops). COM: STDAPI, __stdcall.
NATIVE_EXPORTS = {"GetClassObject": 0, "DestroyObject": 0, "GetClassNames": 0, "SetPlatformCapabilities": 0,
                  "GetAttachType": 0}
COM_EXPORTS = {"DllCanUnloadNow": 0, "DllGetClassObject": 12, "DllRegisterServer": 0, "DllUnregisterServer": 0}

# Bytes on the x86 stack per parameter type: everything here is 32-bit (pointers, references such as
# REFIID, long, BSTR, BOOL, UINT, LCID, DISPID, and WORD/unsigned short, which are widened to a 4-byte
# slot). A 64-bit type would take 8; none appears in these interfaces.
STACK_BYTES = {"long": 4, "unsigned": 4, "BOOL": 4, "BSTR": 4, "UINT": 4, "LCID": 4, "DISPID": 4,
               "WORD": 4, "REFIID": 4, "AppCapabilities": 4}


def parse_interface(text):
    """[(method name, bytes popped)] from 'ret name(type a, type b)' lines; +4 for `this`."""
    slots = []
    for line in filter(None, map(str.strip, text.splitlines())):
        m = re.fullmatch(r"(?:.*?\s)?([~\w]+)\((.*)\)", line.strip())
        name, params = m.group(1), [p.strip() for p in m.group(2).split(",") if p.strip()]
        # `this` is the first stack argument of a __stdcall method; MSVC's destructor is __thiscall
        # (`this` in ecx).
        size = 0 if name.startswith("~") else 4
        for p in params:
            size += 4 if "*" in p else STACK_BYTES[p.replace("const ", "").split()[0]]
        slots.append((name, size))
    return slots


# --- Reading a MinGW dll ------------------------------------------------------------------------------
class Dll:
    def __init__(self, path, triplet):
        self.path, self.triplet = path, triplet
        self.ptr = 4 if triplet.startswith("i686") else 8
        self.sections = {}  # index (1-based, as in the symbol table) -> (name, vma, size, file offset)
        for line in self.run("-h").splitlines():
            m = re.match(r"\s*(\d+) (\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line)
            if m:
                self.sections[int(m.group(1)) + 1] = (m.group(2), int(m.group(4), 16), int(m.group(3), 16),
                                                      int(m.group(5), 16))
        self.image_base = int(re.search(r"ImageBase\s+([0-9a-f]+)", self.run("-p")).group(1), 16)
        with open(path, "rb") as f:
            self.data = f.read()
        # Symbols: name -> address, address -> [names] (functions of .text only for the latter).
        self.symbols, self.functions = {}, {}
        for line in self.run("-t").splitlines():
            m = re.match(r"\[\s*\d+\]\(sec\s+(\d+)\)\(fl 0x[0-9a-f]+\)\(ty\s+([0-9a-f]+)\)\(scl\s+\d+\) \(nx \d\) "
                         r"0x([0-9a-f]+) (\S+)$", line)
            if not m or int(m.group(1)) not in self.sections or m.group(4).startswith("."):
                continue
            name = self.canonical(m.group(4))
            address = self.sections[int(m.group(1))][1] + int(m.group(3), 16)
            self.symbols.setdefault(name, address)
            if self.sections[int(m.group(1))][0] == ".text" and m.group(2) == "20":
                self.functions.setdefault(address, []).append(name)
        if not any(n.startswith("_ZTV") for n in self.symbols):
            sys.exit(f"{path}: no vtable symbols; the check needs the unstripped build output")
        self.starts = sorted(set(self.symbols.values()))

    def run(self, *args):
        return subprocess.run([f"{self.triplet}-objdump", *args, self.path], check=True, capture_output=True,
                              text=True).stdout

    def canonical(self, name):
        """The mangled name without x86's leading underscore and stdcall's @N suffix."""
        if self.ptr == 4 and name.startswith("_"):
            name = name[1:]
        return re.sub(r"@\d+(\.cold)?$", r"\1", name)

    def end_of(self, address):
        """Where the symbol at `address` ends: the next symbol's address."""
        i = next(i for i, a in enumerate(self.starts) if a > address)
        return self.starts[i]

    def word(self, address):
        for name, vma, size, offset in self.sections.values():
            if vma <= address < vma + size:
                return int.from_bytes(self.data[offset + address - vma:][:self.ptr], "little", signed=True)
        raise ValueError(f"{address:#x} is in no section")

    def vtable(self, klass):
        """[[function address, ...] per base-class subobject]: the groups of a vtable, each after its
        offset-to-top and typeinfo pointer."""
        start, typeinfo = self.symbols["_ZTV" + klass], self.symbols["_ZTI" + klass]
        words = [self.word(a) & ((1 << 8 * self.ptr) - 1)
                 for a in range(start, self.end_of(start), self.ptr)]
        groups = []
        for i, w in enumerate(words):
            if w == typeinfo:
                groups.append([])
            elif i + 1 < len(words) and words[i + 1] == typeinfo:
                continue  # the next group's offset-to-top
            elif groups and w in self.functions:
                groups[-1].append(w)
            else:
                break  # past the vtable (alignment padding, the next object)
        return groups

    def disassemble(self, start, end):
        return self.run("-d", "--no-show-raw-insn", f"--start-address={start:#x}", f"--stop-address={end:#x}")

    def thunk_adjustment(self, address):
        """Bytes an adjustor thunk at `address` subtracts from `this` (at 4(%esp) for __stdcall) before it
        jumps to the method; None when the method's body was inlined into the thunk."""
        code = self.disassemble(address, self.end_of(address))
        adjust = re.search(r"\t(?:subl|sub)\s+\$(0x[0-9a-f]+),0x4\(%esp\)\n.*\tjmp\s", code)
        return int(adjust.group(1), 16) if adjust else None

    def name_of(self, address):
        names = self.functions.get(address)
        if not names:
            raise ValueError(f"{self.path}: no function symbol at {address:#x}")
        return names[0]

    def rets(self, address, seen=None):
        """Every `ret`'s popped byte count in the code reached from `address`: the function, its .cold
        part, and whatever it leaves by a jump to another function's start (an adjustor thunk's jump to
        the method, a tail call)."""
        seen = set() if seen is None else seen
        if address in seen:
            return []
        seen.add(address)
        end = self.end_of(address)
        code = self.disassemble(address, end)
        found = [int(n, 16) if n else 0 for n in re.findall(r"\tret[lq]?(?:\s+\$(0x[0-9a-f]+))?\s*$", code, re.M)]
        targets = {int(t, 16) for t in re.findall(r"\tj\w+\s+([0-9a-f]+) <", code)}
        cold = self.symbols.get(self.name_of(address) + ".cold")
        if cold is not None:
            targets.add(cold)
        for target in sorted(targets):
            if not address <= target < end and target in self.functions:
                found += self.rets(target, seen)
        return found

    def exports(self):
        """{name: address} of the export table."""
        dump = self.run("-p")
        rvas = [int(r, 16) for r in re.findall(r"\[\s*\d+\] \+base\[\s*\d+\]\s+([0-9a-f]+) Export RVA", dump)]
        table = re.search(r"\[Ordinal/Name Pointer\] Table\n((?:\s+\[[^\n]+\n)+)", dump).group(1)
        result = {}
        for m in re.finditer(r"\[\s*(\d+)\] (\S+)", table):
            result[m.group(2)] = self.image_base + rvas[int(m.group(1))]
        return result


def demangle(triplet, names):
    out = subprocess.run([f"{triplet}-c++filt", "--no-strip-underscore"], input="\n".join(names), check=True,
                         capture_output=True, text=True).stdout.splitlines()
    return out


def method(demangled):
    """'non-virtual thunk to ns::Class::Name(args)' -> 'Name'."""
    text = demangled.replace("non-virtual thunk to ", "").replace("(anonymous namespace)", "anonymous")
    depth, cut = 0, len(text)
    for i, c in enumerate(text):
        if c in "<(":
            if c == "(" and depth == 0:
                cut = i
                break
            depth += 1
        elif c in ">)":
            depth -= 1
    return text[:cut].rsplit("::", 1)[-1]


def slot_names(dll, groups):
    flat = [dll.name_of(a) for g in groups for a in g]
    names = iter(method(d) for d in demangle(dll.triplet, flat))
    return [[next(names) for _ in g] for g in groups]


def check(kind, x86_path, x64_path):
    if kind == "native":
        classes = [("N7hserver5addin6native9ComponentE", NATIVE_INTERFACES)]
        exports = NATIVE_EXPORTS
    else:
        classes = [("N7hserver5addin3com9ComponentE", COM_INTERFACES),
                   ("N7hserver5addin3com12_GLOBAL__N_112ClassFactoryE", COM_FACTORY)]
        exports = COM_EXPORTS
    x86, x64 = Dll(x86_path, "i686-w64-mingw32"), Dll(x64_path, "x86_64-w64-mingw32")
    errors, checked = [], 0
    for klass, interfaces in classes:
        groups86, groups64 = x86.vtable(klass), x64.vtable(klass)
        names86, names64 = slot_names(x86, groups86), slot_names(x64, groups64)
        label = demangle(x86.triplet, ["_ZTS" + klass])[0].replace("typeinfo name for ", "")
        if names86 != names64:
            errors.append(f"{label}: vtable slots differ between x86 and x64:\n  x86 {names86}\n  x64 {names64}")
        if len(groups86) != len(interfaces):
            errors.append(f"{label}: {len(groups86)} vtable groups, expected {len(interfaces)} "
                          f"({', '.join(i for i, _ in interfaces)})")
            continue
        for index, ((interface, text), group, names) in enumerate(zip(interfaces, groups86, names86)):
            expected = parse_interface(text)
            if len(group) < len(expected):
                errors.append(f"{label} as {interface}: {len(group)} slots, expected at least {len(expected)}")
                continue
            for slot, ((want, pops), entry, got) in enumerate(zip(expected, group, names)):
                # Secondary bases' slots are thunks that move `this` (on the stack, at 4(%esp)) back by
                # the subobject's offset: 4 bytes per earlier vtable pointer here.
                adjust = x86.thunk_adjustment(entry) if index > 0 else None
                if adjust not in (4 * index, None):
                    errors.append(f"{label} as {interface} slot {slot} ({got}): `this` adjusted by {adjust}, "
                                  f"expected {4 * index}")
                if want != got and not (want == "~destructor" and "destructor" in got):
                    errors.append(f"{label} as {interface} slot {slot}: {got}, declared {want}")
                rets = x86.rets(entry)
                if not rets or any(r != pops for r in rets):
                    errors.append(f"{label} as {interface} slot {slot} {got}: ret {sorted(set(rets))}, "
                                  f"declared parameters take {pops} bytes")
                checked += 1
            print(f"{label} as {interface}: {len(expected)} slots checked "
                  f"(+{len(group) - len(expected)} more of the class in this vtable, order compared with x64)")
    for name, pops in exports.items():
        address = x86.exports().get(name)
        if address is None:
            errors.append(f"export {name} missing")
            continue
        rets = x86.rets(address)
        if not rets or any(r != pops for r in rets):
            errors.append(f"export {name}: ret {sorted(set(rets))}, its convention pops {pops} bytes")
        checked += 1
    print(f"{x86_path}: {checked} methods and exports checked (ret N, slot order vs {x64_path})")
    if errors:
        print("FAILED:\n" + "\n".join(errors))
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("native", "com"):
        sys.exit(__doc__)
    sys.exit(check(*sys.argv[1:]))
