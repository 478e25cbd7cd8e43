#!/usr/bin/env python3
"""Tests of bsl_check.py: small modules it must refuse, each with the line a reader would point at, and
modules it must accept. Run by ctest (bsl_check_test) and by hand: python3 bsl_check_test.py."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsl_check  # noqa: E402

HEADER = "// Пример.\n// Платформа: 8.3.6 и новее / Platform: 8.3.6 or later\n\n"
HEADER_LINES = 3


def check(body, header=HEADER, fragment=False):
    """Messages for a module of `header` + `body`, as 'line: text' (the file name dropped)."""
    messages = bsl_check.Checker("m.bsl").check(header + body, fragment=fragment, require_platform=header != "")
    return [message.split(":", 1)[1] for message in messages]


def at(line, messages):
    """Messages about the body's line `line` (1-based within the body)."""
    prefix = f"{line + HEADER_LINES}:"
    return [message for message in messages if message.startswith(prefix)]


class Refused(unittest.TestCase):
    def test_statements_before_the_procedure_and_no_perem(self):
        # README's example as it was: 1C refuses the layout, and procedures would not see Сервер.
        messages = check('ПодключитьВнешнююКомпоненту("ОбщийМакет.HServer", "HServer", ТипВнешнейКомпоненты.Native);\n'
                         'Сервер = Новый("AddIn.HServer.HServer");\n'
                         "\n"
                         "Процедура ВнешнееСобытие(Источник, Событие, Данные)\n"
                         '    Сервер.ВернутьРезультат("OK");\n'
                         "КонецПроцедуры\n")
        self.assertEqual(len(messages), 2, messages)
        self.assertIn("a module statement before the procedure of line 7", at(1, messages)[0])
        self.assertIn("Сервер is assigned at module level without 'Перем Сервер;'", at(2, messages)[0])

    def test_statements_after_the_procedures_with_perem_pass(self):
        messages = check("Перем Сервер;\n"
                         "Процедура ВнешнееСобытие(Источник, Событие, Данные)\n"
                         '    Сервер.ВернутьРезультат("OK");\n'
                         "КонецПроцедуры\n"
                         'Сервер = Новый("AddIn.HServer.HServer");\n')
        self.assertEqual(messages, [])

    def test_unclosed_if(self):
        messages = check("Процедура А()\n"
                         "    Если Истина Тогда\n"
                         "        Сообщить(1);\n"
                         "КонецПроцедуры\n")
        self.assertTrue(at(4, messages), messages)
        self.assertIn("КонецПроцедуры where Если of line 5 needs КонецЕсли", at(4, messages)[0])

    def test_loop_closed_by_the_wrong_end(self):
        messages = check("Процедура А()\n"
                         "    Для Каждого Э Из Массив Цикл\n"
                         "    КонецЕсли;\n"
                         "КонецПроцедуры\n")
        self.assertIn("КонецЕсли where Для/Пока … Цикл of line 5 needs КонецЦикла", at(3, messages)[0])

    def test_loop_without_tsikl(self):
        messages = check("Процедура А()\n"
                         "    Пока Истина\n"
                         "    КонецЦикла;\n"
                         "КонецПроцедуры\n")
        self.assertIn("the loop of line 5 has no Цикл", at(3, messages)[0])

    def test_try_without_exception(self):
        messages = check("Функция А()\n"
                         "    Попытка\n"
                         "        Возврат 1;\n"
                         "    КонецПопытки;\n"
                         "КонецФункции\n")
        self.assertIn("the Попытка of line 5 has no Исключение", at(4, messages)[0])

    def test_missing_end_of_procedure(self):
        messages = check("Процедура А()\n"
                         "    Сообщить(1);\n"
                         "\n"
                         "Процедура Б()\n"
                         "КонецПроцедуры\n")
        self.assertIn("Процедура inside Процедура of line 4", at(4, messages)[0])

    def test_function_closed_as_procedure(self):
        messages = check("Функция А()\n"
                         "    Возврат 1;\n"
                         "КонецПроцедуры\n")
        self.assertIn("КонецПроцедуры where Функция of line 4 needs КонецФункции", at(3, messages)[0])

    def test_directive_before_a_statement(self):
        messages = check("&НаКлиенте\n"
                         "Перем Порт;\n"
                         "&НаКлиенте\n"
                         "Процедура А()\n"
                         "КонецПроцедуры\n"
                         "&НаСервере\n"
                         "Порт = 1;\n")
        self.assertIn("must stand directly before Процедура, Функция or Перем", at(6, messages)[0])

    def test_unknown_directive(self):
        messages = check("&НаКлиентее\nПроцедура А()\nКонецПроцедуры\n")
        self.assertIn("unknown compilation directive &НаКлиентее", at(1, messages)[0])

    def test_perem_after_the_procedures(self):
        messages = check("Процедура А()\nКонецПроцедуры\nПерем Б;\n")
        self.assertIn("Перем after the procedures (line 4)", at(3, messages)[0])

    def test_break_outside_a_loop(self):
        messages = check("Процедура А()\n    Если Истина Тогда\n        Прервать;\n    КонецЕсли;\nКонецПроцедуры\n")
        self.assertIn("outside a loop", at(3, messages)[0])

    def test_unclosed_string(self):
        messages = check('Процедура А()\n    Текст = "начало\n    КонецЕсли;\nКонецПроцедуры\n')
        self.assertIn("the string opened here is not closed", at(2, messages)[0])

    def test_preprocessor_balance(self):
        messages = check("#Область Методы\n#Если Сервер Тогда\nПроцедура А()\nКонецПроцедуры\n#КонецОбласти\n")
        self.assertIn("#КонецОбласти closes #Если of line 5", at(5, messages)[0])

    def test_unclosed_region(self):
        messages = check("#Область Методы\nПроцедура А()\nКонецПроцедуры\n")
        self.assertIn("#Область is not closed", at(1, messages)[0])

    def test_no_platform_line(self):
        messages = check("Процедура А()\nКонецПроцедуры\n", header="// Пример без версии.\n")
        self.assertEqual(len(messages), 1, messages)
        self.assertTrue(messages[0].startswith("1:"), messages)
        self.assertIn("does not state the oldest platform", messages[0])

    def test_platform_older_than_a_function_used(self):
        # ОбработчикHTTP.bsl said 8.3.6 and called ПолучитьСтрокуИзДвоичныхДанных (8.3.10).
        messages = check("Функция А(Данные)\n"
                         "    Возврат ПолучитьСтрокуИзДвоичныхДанных(Данные, КодировкаТекста.UTF8);\n"
                         "КонецФункции\n")
        self.assertIn("ПолучитьСтрокуИзДвоичныхДанных needs platform 8.3.10, the header states 8.3.6",
                      at(2, messages)[0])

    def test_platform_line_with_two_versions(self):
        messages = check("", header="// Платформа: 8.3.6 и новее / Platform: 8.3.10 or later\n")
        self.assertIn("names two versions", messages[0])


class Accepted(unittest.TestCase):
    def test_keywords_in_strings_comments_and_members_are_ignored(self):
        messages = check("Перем Сервер Экспорт;\n"
                         "\n"
                         "&НаКлиенте\n"
                         "// комментарий между директивой и процедурой: Если Цикл КонецФункции\n"
                         "Процедура А(Знач Параметр = \"Если\") Экспорт\n"
                         '    Текст = "Процедура ""Если"" Цикл\n'
                         "    |КонецЕсли // не комментарий внутри строки\n"
                         '    |Попытка";\n'
                         "    Дата = '20240101'; // КонецПроцедуры\n"
                         "    Структура.Если = Сервер.Цикл; // имена членов\n"
                         "КонецПроцедуры\n")
        self.assertEqual(messages, [])

    def test_nested_blocks_in_english_and_mixed_case(self):
        messages = check("Function F(X) Export\n"
                         "    For Each Item In X Do\n"
                         "        If Item = 1 Then\n"
                         "            Continue;\n"
                         "        ElsIf Item = 2 Then\n"
                         "            Break;\n"
                         "        Else\n"
                         "            Try\n"
                         "                Raise \"x\";\n"
                         "            Except\n"
                         "            EndTry;\n"
                         "        EndIf;\n"
                         "    EndDo;\n"
                         "    пока ложь цикл\n"
                         "    конеццикла;\n"
                         "    Return 1;\n"
                         "EndFunction\n")
        self.assertEqual(messages, [])

    def test_fragment_of_statements(self):
        messages = bsl_check.Checker("doc.md").check('Сервер = Новый("AddIn.HServer.HServer");\nСервер.Запустить(3188);\n',
                                                     fragment=True)
        self.assertEqual(messages, [])


class CommandLine(unittest.TestCase):
    SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bsl_check.py")

    def run_checker(self, root):
        return subprocess.run([sys.executable, self.SCRIPT, "--root", root], capture_output=True, text=True)

    def test_markdown_block_and_file_lines_and_exit_status(self):
        with tempfile.TemporaryDirectory() as root:
            with open(os.path.join(root, "Хороший.bsl"), "w", encoding="utf-8") as good:
                good.write(HEADER + "Процедура А()\nКонецПроцедуры\n")
            with open(os.path.join(root, "README.md"), "w", encoding="utf-8") as readme:
                readme.write("# Заголовок\n\nТекст.\n```bsl\nПроцедура А()\n    Если Истина Тогда\nКонецПроцедуры\n```\n")
            result = self.run_checker(root)
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn("README.md:7: КонецПроцедуры where Если of line 6 needs КонецЕсли", result.stdout)
            self.assertIn("1 .bsl files and 1 ```bsl blocks checked, 1 problem(s)", result.stdout)

    def test_clean_tree_passes(self):
        with tempfile.TemporaryDirectory() as root:
            with open(os.path.join(root, "Модуль.bsl"), "w", encoding="utf-8") as good:
                good.write(HEADER + "Процедура А()\nКонецПроцедуры\n")
            result = self.run_checker(root)
            self.assertEqual(result.returncode, 0, result.stdout)

    def test_a_tree_without_bsl_files_fails(self):
        # A wrong --root must not pass as "nothing to check".
        with tempfile.TemporaryDirectory() as root:
            self.assertEqual(self.run_checker(root).returncode, 1)


if __name__ == "__main__":
    unittest.main()
