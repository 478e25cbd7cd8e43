#!/usr/bin/env python3
"""Checks the structure of the project's 1C modules (.bsl) and of the ```bsl blocks in its Markdown.

Not a parser of the 1C language: it catches what a reader would, and what makes 1C refuse a module
or a copied example:
  - blocks balanced and closed by their own end: Процедура/Функция … КонецПроцедуры/КонецФункции,
    Если … ИначеЕсли/Иначе … КонецЕсли, Для/Для Каждого/Пока … Цикл … КонецЦикла,
    Попытка … Исключение … КонецПопытки (and the English keywords); Прервать/Продолжить only in a loop;
  - preprocessor #Если … #КонецЕсли and #Область … #КонецОбласти balanced;
  - a compilation directive (&НаКлиенте, &НаСервере …) only directly before a procedure, a function
    or a Перем;
  - module variables (Перем) before the first procedure, module statements after the last one;
  - a variable assigned at module level is declared with Перем (otherwise it is local to the module
    body: procedures do not see it);
  - every .bsl file states the oldest platform it needs in its header, in the one fixed form
        // Платформа: 8.3.10 и новее / Platform: 8.3.10 or later
    and no global function or type it uses is newer than that (a small table of the ones the
    examples use; see NEWER_THAN_8_3).
Keywords are case-insensitive; strings ("…" with "" inside, continued on lines starting with |),
dates ('…') and // comments are skipped. A Markdown block without procedures is checked as a fragment
of statements (balance only). Messages are "file:line: text"; the exit status is 1 when any is found.

Usage: bsl_check.py [--root DIR] [FILE.bsl | FILE.md ...]
  With no files: every .bsl under DIR (default: the repository) and the ```bsl blocks of every .md.
"""

import os
import re
import sys

PLATFORM_LINE = re.compile(r"^//\s*Платформа:\s*(\d+\.\d+(?:\.\d+)?) и новее / Platform: (\d+\.\d+(?:\.\d+)?) or later\s*$")

# Global-context functions and types newer than plain 8.3 that the examples might use, with the version
# that introduced them (1C's syntax assistant and release notes: JSON and the Стр* functions in 8.3.6,
# the binary-data conversions of the global context in 8.3.10).
NEWER_THAN_8_3 = {
    "ЧтениеJSON": "8.3.6", "ЗаписьJSON": "8.3.6", "ПрочитатьJSON": "8.3.6", "ЗаписатьJSON": "8.3.6",
    "ПараметрыЗаписиJSON": "8.3.6", "ПереносСтрокJSON": "8.3.6",
    "СтрНачинаетсяС": "8.3.6", "СтрЗаканчиваетсяНа": "8.3.6", "СтрРазделить": "8.3.6",
    "СтрСоединить": "8.3.6", "СтрНайти": "8.3.6", "СтрШаблон": "8.3.6", "СтрСравнить": "8.3.6",
    "ПолучитьСтрокуИзДвоичныхДанных": "8.3.10", "ПолучитьДвоичныеДанныеИзСтроки": "8.3.10",
    "ПолучитьBase64СтрокуИзДвоичныхДанных": "8.3.10", "ПолучитьДвоичныеДанныеИзBase64Строки": "8.3.10",
    "ПолучитьHexСтрокуИзДвоичныхДанных": "8.3.10", "ПолучитьДвоичныеДанныеИзHexСтроки": "8.3.10",
    "ПолучитьБуферДвоичныхДанныхИзСтроки": "8.3.10", "ПолучитьСтрокуИзБуфераДвоичныхДанных": "8.3.10",
    "РазделитьДвоичныеДанные": "8.3.10", "СоединитьДвоичныеДанные": "8.3.10",
}
NEWER_THAN_8_3_LOWER = {name.lower(): (name, version) for name, version in NEWER_THAN_8_3.items()}

DIRECTIVES = {
    "наклиенте", "насервере", "насерверебезконтекста", "наклиентенасерверебезконтекста",
    "наклиентенасервере", "atclient", "atserver", "atservernocontext", "atclientatservernocontext",
    "atclientatserver",
    # annotations of extensions: they stand before a method too
    "перед", "после", "вместо", "изменениеиконтроль", "before", "after", "around", "changeandvalidate",
}


def keyword(*names):
    return {name.lower() for name in names}


PROCEDURE = keyword("Процедура", "Procedure")
FUNCTION = keyword("Функция", "Function")
END_PROCEDURE = keyword("КонецПроцедуры", "EndProcedure")
END_FUNCTION = keyword("КонецФункции", "EndFunction")
IF = keyword("Если", "If")
ELSIF = keyword("ИначеЕсли", "ElsIf")
ELSE = keyword("Иначе", "Else")
END_IF = keyword("КонецЕсли", "EndIf")
FOR = keyword("Для", "For")
WHILE = keyword("Пока", "While")
DO = keyword("Цикл", "Do")
END_DO = keyword("КонецЦикла", "EndDo")
TRY = keyword("Попытка", "Try")
EXCEPT = keyword("Исключение", "Except")
END_TRY = keyword("КонецПопытки", "EndTry")
VAR = keyword("Перем", "Var")
LOOP_JUMP = keyword("Прервать", "Break", "Продолжить", "Continue")
RETURN = keyword("Возврат", "Return")
EXPORT = keyword("Экспорт", "Export")
ASYNC = keyword("Асинх", "Async")

BLOCK_NAMES = {
    "procedure": ("Процедура", "КонецПроцедуры"),
    "function": ("Функция", "КонецФункции"),
    "if": ("Если", "КонецЕсли"),
    "loop": ("Для/Пока … Цикл", "КонецЦикла"),
    "try": ("Попытка", "КонецПопытки"),
}

PRE_IF = keyword("Если", "If")
PRE_ELSIF = keyword("ИначеЕсли", "ElsIf")
PRE_ELSE = keyword("Иначе", "Else")
PRE_END_IF = keyword("КонецЕсли", "EndIf")
PRE_REGION = keyword("Область", "Region")
PRE_END_REGION = keyword("КонецОбласти", "EndRegion")

WORD = re.compile(r"[^\W\d]\w*")


class Line:
    """One source line with strings, dates and comments removed (code) and its number."""

    def __init__(self, number, code):
        self.number = number
        self.code = code


def strip_literals(lines, report, first_line):
    """Returns the lines as code only. A string left open at the end of a line must go on with |."""
    result = []
    in_string = False
    string_start = 0
    for number, raw in enumerate(lines, first_line):
        code = []
        i = 0
        text = raw
        if in_string:
            stripped = text.lstrip()
            if stripped.startswith("|"):
                i = len(text) - len(stripped) + 1
            elif stripped.startswith("//"):
                result.append(Line(number, ""))  # a comment inside a multi-line string's continuation
                continue
            else:
                report(string_start, "the string opened here is not closed (a continued string's lines start with |)")
                in_string = False
        while i < len(text):
            ch = text[i]
            if in_string:
                if ch == '"':
                    if text[i + 1:i + 2] == '"':
                        i += 2
                        continue
                    in_string = False
                    code.append('""')
                i += 1
                continue
            if ch == '"':
                in_string = True
                string_start = number
                i += 1
                continue
            if ch == "'":
                end = text.find("'", i + 1)
                if end < 0:
                    report(number, "the date literal ' is not closed")
                    break
                code.append("''")
                i = end + 1
                continue
            if text.startswith("//", i):
                break
            code.append(ch)
            i += 1
        result.append(Line(number, "".join(code)))
    if in_string:
        report(string_start, "the string opened here is not closed at the end of the module")
    return result


def words_of(code):
    """The words of a line that can be keywords: not those after a '.', which name members."""
    for match in WORD.finditer(code):
        before = code[:match.start()].rstrip()
        if before.endswith("."):
            continue
        yield match.group(0)


def version_tuple(text):
    return tuple(int(part) for part in text.split("."))


class Checker:
    def __init__(self, name, first_line=1):
        self.name = name
        self.first_line = first_line
        self.messages = []

    def report(self, line, text):
        self.messages.append(f"{self.name}:{line}: {text}")

    def check(self, text, fragment=False, require_platform=False):
        raw_lines = text.split("\n")
        lines = strip_literals(raw_lines, self.report, self.first_line)
        if require_platform:
            self.check_platform(raw_lines, lines)
        self.check_preprocessor(lines)
        self.check_blocks(lines, fragment)
        return self.messages

    def check_platform(self, raw_lines, lines):
        stated = None
        for raw in raw_lines:
            stripped = raw.strip()
            if stripped and not stripped.startswith("//"):
                break  # the header comment ends at the first line of code
            match = PLATFORM_LINE.match(stripped)
            if match:
                if match.group(1) != match.group(2):
                    self.report(1, f"the platform line names two versions: {match.group(1)} and {match.group(2)}")
                stated = match.group(1)
                break
        if stated is None:
            self.report(1, "the header comment does not state the oldest platform as "
                           "'// Платформа: 8.3.N и новее / Platform: 8.3.N or later'")
            return
        for line in lines:
            for match in WORD.finditer(line.code):
                known = NEWER_THAN_8_3_LOWER.get(match.group(0).lower())
                if known and version_tuple(known[1]) > version_tuple(stated):
                    self.report(line.number, f"{known[0]} needs platform {known[1]}, the header states {stated}")

    def check_preprocessor(self, lines):
        stack = []  # (kind, line)
        for line in lines:
            code = line.code.strip()
            if not code.startswith("#"):
                continue
            match = WORD.match(code[1:].lstrip())
            word = match.group(0).lower() if match else ""
            if word in PRE_IF:
                stack.append(("#Если", line.number))
            elif word in PRE_ELSIF or word in PRE_ELSE:
                if not stack or stack[-1][0] != "#Если":
                    self.report(line.number, f"#{match.group(0)} outside #Если … #КонецЕсли")
            elif word in PRE_END_IF:
                self.close_preprocessor(stack, "#Если", "#КонецЕсли", line.number)
            elif word in PRE_REGION:
                stack.append(("#Область", line.number))
            elif word in PRE_END_REGION:
                self.close_preprocessor(stack, "#Область", "#КонецОбласти", line.number)
            else:
                self.report(line.number, f"unknown preprocessor instruction #{match.group(0) if match else ''}")
        for kind, number in stack:
            self.report(number, f"{kind} is not closed")

    def close_preprocessor(self, stack, opening, closing, number):
        if not stack:
            self.report(number, f"{closing} without {opening}")
        elif stack[-1][0] != opening:
            kind, opened = stack.pop()
            self.report(number, f"{closing} closes {kind} of line {opened}")
        else:
            stack.pop()

    def check_blocks(self, lines, fragment):
        stack = []  # [kind, line, state]: state is "Цикл seen" for loops, "Исключение seen" for try
        module_vars = set()
        first_method = None  # line of the first procedure or function
        first_statement = None  # line of the first module statement
        pending_directive = None  # line of a directive waiting for its method or Перем
        for line in lines:
            code = line.code.strip()
            if not code or code.startswith("#"):
                continue
            if code.startswith("&"):
                name = WORD.match(code[1:])
                if not name or name.group(0).lower() not in DIRECTIVES:
                    self.report(line.number, f"unknown compilation directive {code.split()[0]}")
                if stack:
                    self.report(line.number, "a compilation directive inside a procedure or function")
                pending_directive = line.number
                continue
            words = list(words_of(code))
            first = words[0].lower() if words else ""
            if first in ASYNC and len(words) > 1:
                first = words[1].lower()  # Асинх Функция (8.3.18)
            at_module_level = not stack
            if pending_directive is not None:
                if first not in PROCEDURE | FUNCTION | VAR:
                    self.report(pending_directive,
                                "a compilation directive must stand directly before Процедура, Функция or Перем")
                pending_directive = None
            if at_module_level and first in VAR:
                if first_method is not None:
                    self.report(line.number, f"Перем after the procedures (line {first_method}): module variables "
                                             "are declared before the first procedure or function")
                for name in WORD.findall(code)[1:]:
                    if name.lower() not in EXPORT:
                        module_vars.add(name.lower())
                continue
            if at_module_level and first not in PROCEDURE | FUNCTION and not fragment:
                if first_statement is None:
                    first_statement = line.number
                assigned = re.match(r"([^\W\d]\w*)\s*=(?!=)", code)
                if assigned and assigned.group(1).lower() not in module_vars:
                    self.report(line.number, f"{assigned.group(1)} is assigned at module level without "
                                             f"'Перем {assigned.group(1)};' before the procedures: "
                                             "procedures would not see it")
            for word in words:
                self.keyword(word, line.number, stack)
                if word.lower() in PROCEDURE | FUNCTION and len(stack) == 1:
                    if first_method is None:
                        first_method = line.number
                    if first_statement is not None and not fragment:
                        self.report(first_statement, f"a module statement before the procedure of line "
                                                     f"{line.number}: statements go after all procedures "
                                                     "and functions")
                        first_statement = None
        if pending_directive is not None:
            self.report(pending_directive, "a compilation directive at the end of the module")
        for kind, number, _ in stack:
            self.report(number, f"{BLOCK_NAMES[kind][0]} is not closed by {BLOCK_NAMES[kind][1]}")

    def middle(self, top, kind, name, openers, number):
        """The word that must come once inside a block: Цикл after Для/Пока, Исключение after Попытка."""
        if not top or top[0] != kind or top[2]:
            self.report(number, f"{name} without {openers}")
        else:
            top[2] = name

    def end_after_middle(self, stack, kind, end_name, block, middle_name, number):
        """The end of a block that needed its middle word (see middle)."""
        top = stack[-1] if stack else None
        if top and top[0] == kind and not top[2]:
            self.report(number, f"{end_name}: {block} of line {top[1]} has no {middle_name}")
        self.close(stack, kind, number)

    def keyword(self, word, number, stack):
        word = word.lower()
        top = stack[-1] if stack else None
        if word in PROCEDURE or word in FUNCTION:
            kind = "procedure" if word in PROCEDURE else "function"
            if stack:
                self.report(number, f"{BLOCK_NAMES[kind][0]} inside {BLOCK_NAMES[stack[0][0]][0]} of line "
                                    f"{stack[0][1]}: is an end missing before it?")
                del stack[:]
            stack.append([kind, number, None])
        elif word in END_PROCEDURE or word in END_FUNCTION:
            kind = "procedure" if word in END_PROCEDURE else "function"
            self.close(stack, kind, number)
        elif word in IF:
            stack.append(["if", number, None])
        elif word in ELSIF or word in ELSE:
            if not top or top[0] != "if":
                self.report(number, f"{word} outside Если … КонецЕсли")
        elif word in END_IF:
            self.close(stack, "if", number)
        elif word in FOR or word in WHILE:
            stack.append(["loop", number, None])
        elif word in DO:
            self.middle(top, "loop", "Цикл", "Для or Пока", number)
        elif word in END_DO:
            self.end_after_middle(stack, "loop", "КонецЦикла", "the loop", "Цикл", number)
        elif word in TRY:
            stack.append(["try", number, None])
        elif word in EXCEPT:
            self.middle(top, "try", "Исключение", "Попытка", number)
        elif word in END_TRY:
            self.end_after_middle(stack, "try", "КонецПопытки", "the Попытка", "Исключение", number)
        elif word in LOOP_JUMP:
            if not any(entry[0] == "loop" for entry in stack):
                self.report(number, f"{word} outside a loop")
        elif word in RETURN:
            if not stack or stack[0][0] not in ("procedure", "function"):
                self.report(number, "Возврат outside a procedure or function")

    def close(self, stack, kind, number):
        closing = BLOCK_NAMES[kind][1]
        if not stack:
            self.report(number, f"{closing} without {BLOCK_NAMES[kind][0]}")
            return
        top_kind, opened, _ = stack[-1]
        if top_kind == kind:
            stack.pop()
            return
        self.report(number, f"{closing} where {BLOCK_NAMES[top_kind][0]} of line {opened} "
                            f"needs {BLOCK_NAMES[top_kind][1]}")
        # Resynchronise on the block this end belongs to, so one mistake gives one message.
        for index in range(len(stack) - 1, -1, -1):
            if stack[index][0] == kind:
                del stack[index:]
                return


def check_bsl_file(path, display):
    with open(path, encoding="utf-8-sig") as source:
        text = source.read()
    return Checker(display).check(text, require_platform=True)


FENCE = re.compile(r"^(\s*)```+\s*(\S*)\s*$")


def bsl_blocks(markdown):
    """(first line number of the code, code) of every ```bsl block; an unclosed block is an error."""
    blocks = []
    lines = markdown.split("\n")
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        language = match.group(2).lower()
        start = index + 1
        end = start
        while end < len(lines) and not FENCE.match(lines[end]):
            end += 1
        if language in ("bsl", "1c"):
            blocks.append((start + 1, "\n".join(lines[start:end]), end >= len(lines)))
        index = end + 1
    return blocks


def check_markdown_file(path, display):
    with open(path, encoding="utf-8") as source:
        text = source.read()
    messages = []
    for first_line, code, unclosed in bsl_blocks(text):
        if unclosed:
            messages.append(f"{display}:{first_line - 1}: the ```bsl block is not closed")
            continue
        lowered = code.lower()
        has_methods = re.search(r"^\s*(процедура|функция|procedure|function)\b", lowered, re.MULTILINE)
        messages += Checker(display, first_line).check(code, fragment=not has_methods)
    return messages


SKIPPED_DIRS = {".git", "build", "third_party", "vcpkg_installed", "node_modules"}


def repository_files(root):
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS and not d.startswith("build"))
        for name in sorted(files):
            if name.endswith(".bsl") or name.endswith(".md"):
                found.append(os.path.join(directory, name))
    return found


def main(argv):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    files = []
    args = iter(argv)
    for arg in args:
        if arg == "--root":
            root = next(args)
        else:
            files.append(arg)
    root = os.path.normpath(root)
    explicit = bool(files)
    if not files:
        files = repository_files(root)
    messages = []
    bsl_count = 0
    block_count = 0
    for path in files:
        display = os.path.relpath(path, root) if os.path.abspath(path).startswith(os.path.abspath(root)) else path
        if path.endswith(".bsl"):
            bsl_count += 1
            messages += check_bsl_file(path, display)
        else:
            with open(path, encoding="utf-8") as source:
                block_count += len(bsl_blocks(source.read()))
            messages += check_markdown_file(path, display)
    for message in messages:
        print(message)
    print(f"bsl_check: {bsl_count} .bsl files and {block_count} ```bsl blocks checked, "
          f"{len(messages)} problem(s)")
    if bsl_count == 0 and not explicit:
        print("bsl_check: no .bsl file found: is --root right?")
        return 1
    return 1 if messages else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
