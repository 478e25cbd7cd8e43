@echo off
rem The messages are UTF-8 (Russian and English): switch the console to UTF-8 first.
chcp 65001 >nul
rem Registers the COM add-in AddIn.1CHServer (1chserver_com.dll) for 1C:Enterprise, as the original's
rem reg.bat did with regasm. Run as administrator.
rem   x64\1chserver_com.dll -> 64-bit 1C: %SystemRoot%\System32\regsvr32.exe
rem   x86\1chserver_com.dll -> 32-bit 1C: %SystemRoot%\SysWOW64\regsvr32.exe (System32 on 32-bit Windows)
rem Регистрирует COM-компоненту AddIn.1CHServer для 64- и 32-разрядной 1С. Запускать от имени администратора.
setlocal
set "HERE=%~dp0"
set "FAILED=0"

net session >nul 2>&1
if errorlevel 1 (
  echo Run this file as administrator. / Запустите файл от имени администратора.
  exit /b 1
)

rem A 32-bit cmd.exe on 64-bit Windows sees SysWOW64 as System32: Sysnative reaches the real one.
set "SYS64=%SystemRoot%\System32"
if defined PROCESSOR_ARCHITEW6432 set "SYS64=%SystemRoot%\Sysnative"
set "X64DLL=%HERE%x64\1chserver_com.dll"
set "X86DLL=%HERE%x86\1chserver_com.dll"

rem 64-bit Windows: the process is 64-bit, or a 32-bit process on a 64-bit system (PROCESSOR_ARCHITEW6432).
set "WIN64=0"
if /i "%PROCESSOR_ARCHITECTURE%"=="AMD64" set "WIN64=1"
if /i "%PROCESSOR_ARCHITECTURE%"=="ARM64" set "WIN64=1"
if defined PROCESSOR_ARCHITEW6432 set "WIN64=1"

if "%WIN64%"=="1" (
  rem 64-bit Windows: the x64 dll for 64-bit 1C, the x86 dll (when present) for 32-bit 1C.
  if exist "%X64DLL%" (
    call :register "%SYS64%\regsvr32.exe" "%X64DLL%" "64-bit / 64-разрядная"
  ) else (
    echo Not found / не найден: %X64DLL%
    set "FAILED=1"
  )
  rem SysWOW64 is absent where the 32-bit subsystem is not installed (Server Core without WoW64).
  if exist "%X86DLL%" if exist "%SystemRoot%\SysWOW64\regsvr32.exe" call :register "%SystemRoot%\SysWOW64\regsvr32.exe" "%X86DLL%" "32-bit / 32-разрядная"
) else (
  rem 32-bit Windows: only the x86 dll can load.
  if exist "%X86DLL%" (
    call :register "%SystemRoot%\System32\regsvr32.exe" "%X86DLL%" "32-bit / 32-разрядная"
  ) else (
    echo Not found / не найден: %X86DLL%
    set "FAILED=1"
  )
)
if "%FAILED%"=="1" (
  echo Registration failed. / Регистрация не выполнена.
  exit /b 1
)
echo AddIn.1CHServer registered. / Компонента AddIn.1CHServer зарегистрирована.
exit /b 0

:register
"%~1" /s "%~2"
if errorlevel 1 (
  echo FAILED / ОШИБКА: %~3: regsvr32 "%~2"
  set "FAILED=1"
) else (
  echo OK: %~3: %~2
)
exit /b 0
