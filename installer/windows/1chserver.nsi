; 1CHServer setup for 64-bit Windows (NSIS 3). Built on Linux by installer/windows/CMakeLists.txt:
;   makensis -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DSTAGE=<staged files> -DOUTFILE=<setup.exe> 1chserver.nsi
; STAGE holds the install layout: 1chserver.exe, 1chserverctl.exe, x64\ and x86\1chserver_com.dll,
; 1chserver-addin.zip, reg.bat, unreg.bat, README.md, docs\*.md, examples\1chserver.json.
;
; What it does (see installer/README.md):
;  - files to $PROGRAMFILES64\1CHServer (or /D=...), an uninstaller in Add/Remove Programs;
;  - a default configuration %ProgramData%\1CHServer\1chserver.json, only when there is none: one http
;    route on 127.0.0.1:3188, metrics on 127.0.0.1:9188 - nothing reachable from the network; a folder it
;    creates there is closed to all but SYSTEM, Administrators and the service;
;  - the COM add-in for 64-bit 1C (System32\regsvr32) and 32-bit 1C (SysWOW64\regsvr32);
;  - the service through its own command (`1chserver.exe install`: virtual account, delayed start,
;    recovery actions, Event Log source), then started. An existing service (an update) is stopped
;    before the files are replaced, keeps its settings and is started again if it was running.
; Silent: setup.exe /S [/D=C:\path]; uninstall.exe /S [/PURGE] (/PURGE also removes %ProgramData%\1CHServer).
; Exit codes: 0 done; 1 cancelled; 2 refused or failed (not an administrator, the service could not be
; created); 3 installed, but the COM registration or the service start failed (details in
; the log window; the service's own errors in the Application event log).
;
; The setup is a 64-bit program (Target amd64-unicode): 32-bit Windows refuses to start it with its own
; message, no file is touched there. Being 64-bit, $SYSDIR is the real System32 (no WoW64 redirection)
; and the registry is written in its 64-bit view.

Unicode true
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel admin
ManifestDPIAware true

!ifndef VERSION | STAGE | OUTFILE
  !error "define VERSION, STAGE and OUTFILE (-DVERSION=... -DSTAGE=... -DOUTFILE=...)"
!endif

!define PRODUCT "1CHServer"
!define SERVICE "1chserver"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCT}"
; %ProgramData%\1CHServer once SetShellVarContext all is in effect (.onInit, un.onInit).
!define DATADIR "$APPDATA\${PRODUCT}"
!define CONFIG "${DATADIR}\1chserver.json"

Name "${PRODUCT} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${PRODUCT}"
InstallDirRegKey HKLM "${UNINST_KEY}" "InstallLocation"
ShowInstDetails show
ShowUninstDetails show
BrandingText "${PRODUCT} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${PRODUCT} setup"
VIAddVersionKey /LANG=0 "LegalCopyright" "${PRODUCT} contributors"

!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include WordFunc.nsh

Var ServiceState   ; QueryService: 0 none, 1 stopped, 2 start pending, 3 stop pending, 4 running, -1 unknown
Var ServiceExisted ; 1: an earlier installation's service (an update)
Var StartService   ; 1: start the service at the end (a new one, or one that was running before the update)
Var DataDirCreated ; 1: %ProgramData%\1CHServer is this setup's own (its permissions are set)

!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_TEXT "$(FinishText)"
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "Russian"

; --- messages ---------------------------------------------------------------------------------------------
LangString NeedAdmin ${LANG_ENGLISH} "${PRODUCT} setup must be run as administrator."
LangString NeedAdmin ${LANG_RUSSIAN} "Установку ${PRODUCT} нужно запускать от имени администратора."
LangString Stopping ${LANG_ENGLISH} "Stopping the ${SERVICE} service..."
LangString Stopping ${LANG_RUSSIAN} "Остановка службы ${SERVICE}..."
LangString NotStopped ${LANG_ENGLISH} "The ${SERVICE} service did not stop within 60 s."
LangString NotStopped ${LANG_RUSSIAN} "Служба ${SERVICE} не остановилась за 60 с."
LangString ConfigKept ${LANG_ENGLISH} "Configuration kept: ${CONFIG}"
LangString ConfigKept ${LANG_RUSSIAN} "Конфигурация сохранена: ${CONFIG}"
LangString ConfigWritten ${LANG_ENGLISH} "Default configuration written (127.0.0.1 only): ${CONFIG}"
LangString ConfigWritten ${LANG_RUSSIAN} "Записана конфигурация по умолчанию (только 127.0.0.1): ${CONFIG}"
LangString ComFailed ${LANG_ENGLISH} "Registering the COM add-in failed:"
LangString ComFailed ${LANG_RUSSIAN} "Не удалось зарегистрировать COM-компоненту:"
LangString NoWow64 ${LANG_ENGLISH} "No 32-bit subsystem (SysWOW64\regsvr32.exe): the x86 COM add-in is copied but not registered."
LangString NoWow64 ${LANG_RUSSIAN} "Нет 32-разрядной подсистемы (SysWOW64\regsvr32.exe): x86-компонента COM скопирована, но не зарегистрирована."
LangString ServiceKept ${LANG_ENGLISH} "The ${SERVICE} service exists: its settings are kept."
LangString ServiceKept ${LANG_RUSSIAN} "Служба ${SERVICE} уже есть: её настройки сохранены."
LangString ServiceFailed ${LANG_ENGLISH} "Creating the ${SERVICE} service failed (1chserver.exe install, exit code"
LangString ServiceFailed ${LANG_RUSSIAN} "Не удалось создать службу ${SERVICE} (1chserver.exe install, код"
LangString StartFailed ${LANG_ENGLISH} "The ${SERVICE} service is installed but did not start. Check ${CONFIG} and the Application event log (source ${SERVICE}), then run: net start ${SERVICE}"
LangString StartFailed ${LANG_RUSSIAN} "Служба ${SERVICE} установлена, но не запустилась. Проверьте ${CONFIG} и журнал «Приложение» (источник ${SERVICE}), затем выполните: net start ${SERVICE}"
LangString AclFailed ${LANG_ENGLISH} "Warning: icacls could not set the permissions of"
LangString AclFailed ${LANG_RUSSIAN} "Внимание: icacls не смог задать права папки"
LangString LeftStopped ${LANG_ENGLISH} "The ${SERVICE} service was stopped before the update: left stopped (net start ${SERVICE})."
LangString LeftStopped ${LANG_RUSSIAN} "Служба ${SERVICE} была остановлена до обновления: оставлена остановленной (net start ${SERVICE})."
LangString Started ${LANG_ENGLISH} "The ${SERVICE} service is running."
LangString Started ${LANG_RUSSIAN} "Служба ${SERVICE} запущена."
LangString FinishText ${LANG_ENGLISH} "${PRODUCT} is installed as the ${SERVICE} service (the previous page lists what was done).$\r$\n$\r$\nConfiguration: ${CONFIG} (after a change: net stop ${SERVICE}, net start ${SERVICE}).$\r$\nThe 1C add-in: $INSTDIR\1chserver-addin.zip (Native API) or AddIn.1CHServer (COM).$\r$\nDocumentation: $INSTDIR\docs."
LangString FinishText ${LANG_RUSSIAN} "${PRODUCT} установлен как служба ${SERVICE} (что сделано — на предыдущей странице).$\r$\n$\r$\nКонфигурация: ${CONFIG} (после изменения: net stop ${SERVICE}, net start ${SERVICE}).$\r$\nКомпонента для 1С: $INSTDIR\1chserver-addin.zip (Native API) или AddIn.1CHServer (COM).$\r$\nДокументация: $INSTDIR\docs."
LangString Purged ${LANG_ENGLISH} "Removed the configuration and logs (/PURGE):"
LangString Purged ${LANG_RUSSIAN} "Удалены конфигурация и журналы (/PURGE):"
LangString DataKept ${LANG_ENGLISH} "Configuration and logs kept (uninstall.exe /PURGE removes them):"
LangString DataKept ${LANG_RUSSIAN} "Конфигурация и журналы сохранены (uninstall.exe /PURGE удаляет их):"
LangString InUse ${LANG_ENGLISH} "Some files are in use (a running 1C?) and will be removed at the next restart."
LangString InUse ${LANG_RUSSIAN} "Некоторые файлы заняты (запущена 1С?) и будут удалены при следующей перезагрузке."

; --- helpers shared by the installer and the uninstaller -----------------------------------------------------
!macro SHARED_FUNCTIONS UN
; The service's state from the SCM itself (sc.exe's output would have to be parsed, and may be localized).
Function ${UN}QueryService
  Push $0
  Push $1
  Push $2
  Push $3
  StrCpy $ServiceState -1
  System::Call 'advapi32::OpenSCManagerW(p 0, p 0, i 1) p.r0'  ; SC_MANAGER_CONNECT
  ${If} $0 P<> 0
    System::Call 'advapi32::OpenServiceW(p r0, w "${SERVICE}", i 4) p.r1 ?e'  ; SERVICE_QUERY_STATUS
    Pop $2  ; GetLastError
    ${If} $1 P<> 0
      System::Call '*(&i28) p.r2'  ; SERVICE_STATUS: seven DWORDs
      System::Call 'advapi32::QueryServiceStatus(p r1, p r2) i.r3'
      ${If} $3 <> 0
        System::Call '*$2(i, i .s)'  ; dwCurrentState
        Pop $ServiceState
      ${EndIf}
      System::Free $2
      System::Call 'advapi32::CloseServiceHandle(p r1)'
    ${ElseIf} $2 = 1060  ; ERROR_SERVICE_DOES_NOT_EXIST
      StrCpy $ServiceState 0
    ${EndIf}
    System::Call 'advapi32::CloseServiceHandle(p r0)'
  ${EndIf}
  Pop $3
  Pop $2
  Pop $1
  Pop $0
FunctionEnd

; Up to 60 s for the service to be stopped or gone.
Function ${UN}WaitServiceStopped
  Push $0
  StrCpy $0 0
  ${Do}
    Call ${UN}QueryService
    ${If} $ServiceState = 0
    ${OrIf} $ServiceState = 1
      ${Break}
    ${EndIf}
    IntOp $0 $0 + 1
    ${IfThen} $0 > 120 ${|} ${Break} ${|}
    Sleep 500
  ${Loop}
  Pop $0
FunctionEnd

Function ${UN}CheckPrerequisites
  SetShellVarContext all
  SetRegView 64
  UserInfo::GetAccountType
  Pop $0
  ${If} $0 != "Admin"
    MessageBox MB_ICONSTOP|MB_OK "$(NeedAdmin)" /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
FunctionEnd
!macroend
!insertmacro SHARED_FUNCTIONS ""
!insertmacro SHARED_FUNCTIONS "un."

; regsvr32 <dll> [/u] with the regsvr32 of the dll's bitness; a failure is reported, never fatal.
!macro REGSVR32 REGSVR32 OPTIONS DLL
  ExecWait '"${REGSVR32}" ${OPTIONS} /s "${DLL}"' $0
  ${If} $0 != "0"
    DetailPrint "$(ComFailed) ${REGSVR32} ${OPTIONS} ${DLL} ($0)"
  ${Else}
    DetailPrint "regsvr32 ${OPTIONS} ${DLL}: OK"
  ${EndIf}
!macroend

; Deletes a file, retrying for up to 10 s (a service process ends a moment after it reports STOPPED), then
; leaves it to the next restart.
!macro DELETE_RETRY FILE
  Push $0
  StrCpy $0 0
  ${Do}
    ClearErrors
    Delete "${FILE}"
    ${IfNotThen} ${Errors} ${|} ${Break} ${|}
    IntOp $0 $0 + 1
    ${If} $0 > 20
      Delete /REBOOTOK "${FILE}"
      ${Break}
    ${EndIf}
    Sleep 500
  ${Loop}
  Pop $0
!macroend

; Up to 60 s for the service to leave START_PENDING (running, or stopped after a failed start).
Function WaitServiceStarted
  Push $0
  StrCpy $0 0
  ${Do}
    Call QueryService
    ${IfThen} $ServiceState <> 2 ${|} ${Break} ${|}
    IntOp $0 $0 + 1
    ${IfThen} $0 > 120 ${|} ${Break} ${|}
    Sleep 500
  ${Loop}
  Pop $0
FunctionEnd

Function .onInit
  Call CheckPrerequisites
FunctionEnd

Function un.onInit
  Call un.CheckPrerequisites
FunctionEnd

; --- install -----------------------------------------------------------------------------------------------
Section "${PRODUCT}" SecMain
  SectionIn RO

  ; An update: the running service holds 1chserver.exe open. It is started again only if it was running
  ; (or starting): one an administrator stopped stays stopped.
  Call QueryService
  StrCpy $ServiceExisted 0
  StrCpy $StartService 1
  ${If} $ServiceState = 1
    StrCpy $ServiceExisted 1
    StrCpy $StartService 0
  ${ElseIf} $ServiceState <> 0
    StrCpy $ServiceExisted 1
    DetailPrint "$(Stopping)"
    nsExec::ExecToLog '"$SYSDIR\net.exe" stop ${SERVICE}'
    Pop $0
    Call WaitServiceStopped
    ${If} $ServiceState <> 0
    ${AndIf} $ServiceState <> 1
      DetailPrint "$(NotStopped)"
    ${EndIf}
  ${EndIf}

  SetOutPath "$INSTDIR"
  File "${STAGE}/1chserver.exe"
  File "${STAGE}/1chserverctl.exe"
  File "${STAGE}/1chserver-addin.zip"
  File "${STAGE}/reg.bat"
  File "${STAGE}/unreg.bat"
  File "${STAGE}/README.md"
  SetOutPath "$INSTDIR\x64"
  File "${STAGE}/x64/1chserver_com.dll"
  SetOutPath "$INSTDIR\x86"
  File "${STAGE}/x86/1chserver_com.dll"
  SetOutPath "$INSTDIR\docs"
  File "${STAGE}/docs/*.md"
  SetOutPath "$INSTDIR\examples"
  File "${STAGE}/examples/1chserver.json"
  SetOutPath "$INSTDIR"

  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "Publisher" "${PRODUCT}"
  WriteRegStr HKLM "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\1chserver.exe"
  WriteRegStr HKLM "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINST_KEY}" "EstimatedSize" $0

  ; The configuration: never overwritten (an update or a reinstall keeps what the administrator wrote).
  StrCpy $DataDirCreated 0
  ${IfNot} ${FileExists} "${DATADIR}\*.*"
    StrCpy $DataDirCreated 1
  ${EndIf}
  CreateDirectory "${DATADIR}\logs"
  ${If} ${FileExists} "${CONFIG}"
    DetailPrint "$(ConfigKept)"
  ${Else}
    ${WordReplace} "${DATADIR}\logs\1chserver.log" "\" "\\" "+" $1  ; a JSON string
    FileOpen $0 "${CONFIG}" w
    FileWrite $0 "// 1CHServer service configuration, written by the setup because there was none. Setup and$\r$\n"
    FileWrite $0 "// uninstall keep it (uninstall.exe /PURGE removes it). Every key: examples\1chserver.json and$\r$\n"
    FileWrite $0 "// docs\configuration.md in the installation folder. After a change: net stop ${SERVICE} & net start ${SERVICE}$\r$\n"
    FileWrite $0 "{$\r$\n"
    FileWrite $0 "  // Local only. Before listening on another address, add authentication (docs\security.md).$\r$\n"
    FileWrite $0 "  $\"routes$\": [$\r$\n"
    FileWrite $0 "    { $\"name$\": $\"default$\", $\"listen$\": $\"127.0.0.1:3188$\", $\"mode$\": $\"http$\" }$\r$\n"
    FileWrite $0 "  ],$\r$\n"
    FileWrite $0 "  // Health and Prometheus metrics, local only; $\"$\" turns them off.$\r$\n"
    FileWrite $0 "  $\"metrics_listen$\": $\"127.0.0.1:9188$\",$\r$\n"
    FileWrite $0 "  // The Windows account or group 1C runs as (e.g. $\"USR1CV8$\"), allowed to attach besides SYSTEM$\r$\n"
    FileWrite $0 "  // and Administrators.$\r$\n"
    FileWrite $0 "  $\"shm$\": { $\"windows_users$\": $\"$\" },$\r$\n"
    FileWrite $0 "  $\"log$\": { $\"level$\": $\"info$\", $\"file$\": $\"$1$\" }$\r$\n"
    FileWrite $0 "}$\r$\n"
    FileClose $0
    DetailPrint "$(ConfigWritten)"
  ${EndIf}

  ; COM: each dll with the regsvr32 of its bitness, as reg\reg.bat does.
  !insertmacro REGSVR32 "$SYSDIR\regsvr32.exe" "" "$INSTDIR\x64\1chserver_com.dll"
  ${If} $0 != "0"
    SetErrorLevel 3
  ${EndIf}
  ${If} ${FileExists} "$WINDIR\SysWOW64\regsvr32.exe"
    !insertmacro REGSVR32 "$WINDIR\SysWOW64\regsvr32.exe" "" "$INSTDIR\x86\1chserver_com.dll"
    ${If} $0 != "0"
      SetErrorLevel 3
    ${EndIf}
  ${Else}
    DetailPrint "$(NoWow64)"
  ${EndIf}

  ; The service: created by its own command (virtual account NT SERVICE\1chserver, delayed automatic
  ; start, recovery actions, Event Log source), unless an update finds it already there.
  ${If} $ServiceExisted = 1
    DetailPrint "$(ServiceKept)"
  ${Else}
    nsExec::ExecToLog '"$INSTDIR\1chserver.exe" install --name ${SERVICE} --config "${CONFIG}"'
    Pop $0
    ${If} $0 != "0"
      MessageBox MB_ICONSTOP|MB_OK "$(ServiceFailed) $0)." /SD IDOK
      SetErrorLevel 2
      Abort
    ${EndIf}
  ${EndIf}
  ; Permissions, once the virtual account exists (with the service). Any user may create files in a new
  ; folder of %ProgramData%: a folder this setup created is closed to all but SYSTEM, Administrators
  ; and the service (read), so that nobody else can put a configuration there. A folder that was there
  ; before keeps its permissions (the administrator's own). Either way the service may write its logs.
  ${If} $DataDirCreated = 1
    nsExec::ExecToLog '"$SYSDIR\icacls.exe" "${DATADIR}" /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F" "NT SERVICE\${SERVICE}:(OI)(CI)RX"'
    Pop $0
    ${If} $0 != "0"
      DetailPrint "$(AclFailed) ${DATADIR} ($0)"
    ${EndIf}
  ${EndIf}
  nsExec::ExecToLog '"$SYSDIR\icacls.exe" "${DATADIR}\logs" /grant "NT SERVICE\${SERVICE}:(OI)(CI)M"'
  Pop $0
  ${If} $0 != "0"
    DetailPrint "$(AclFailed) ${DATADIR}\logs ($0)"
  ${EndIf}

  ${If} $StartService = 0
    DetailPrint "$(LeftStopped)"
  ${Else}
    nsExec::ExecToLog '"$SYSDIR\net.exe" start ${SERVICE}'
    Pop $0
    Call WaitServiceStarted
    ${If} $ServiceState = 4
      DetailPrint "$(Started)"
    ${Else}
      DetailPrint "$(StartFailed)"
      MessageBox MB_ICONEXCLAMATION|MB_OK "$(StartFailed)" /SD IDOK
      SetErrorLevel 3
    ${EndIf}
  ${EndIf}
SectionEnd

; --- uninstall ---------------------------------------------------------------------------------------------
Section "Uninstall"
  ; The service: stopped (waiting up to 30 s) and deleted by its own command, or by hand if that fails.
  Call un.QueryService
  ${If} $ServiceState <> 0
    ${If} ${FileExists} "$INSTDIR\1chserver.exe"
      nsExec::ExecToLog '"$INSTDIR\1chserver.exe" uninstall --name ${SERVICE}'
      Pop $0
    ${EndIf}
    Call un.QueryService
    ${If} $ServiceState <> 0
      nsExec::ExecToLog '"$SYSDIR\net.exe" stop ${SERVICE}'
      Pop $0
      Call un.WaitServiceStopped
      nsExec::ExecToLog '"$SYSDIR\sc.exe" delete ${SERVICE}'
      Pop $0
      DeleteRegKey HKLM "SYSTEM\CurrentControlSet\Services\EventLog\Application\${SERVICE}"
    ${EndIf}
  ${EndIf}

  ; COM: both bitnesses; the ProgID goes with the last one.
  ${If} ${FileExists} "$WINDIR\SysWOW64\regsvr32.exe"
  ${AndIf} ${FileExists} "$INSTDIR\x86\1chserver_com.dll"
    !insertmacro REGSVR32 "$WINDIR\SysWOW64\regsvr32.exe" "/u" "$INSTDIR\x86\1chserver_com.dll"
  ${EndIf}
  ${If} ${FileExists} "$INSTDIR\x64\1chserver_com.dll"
    !insertmacro REGSVR32 "$SYSDIR\regsvr32.exe" "/u" "$INSTDIR\x64\1chserver_com.dll"
  ${EndIf}

  !insertmacro DELETE_RETRY "$INSTDIR\1chserver.exe"
  !insertmacro DELETE_RETRY "$INSTDIR\1chserverctl.exe"
  !insertmacro DELETE_RETRY "$INSTDIR\x64\1chserver_com.dll"
  !insertmacro DELETE_RETRY "$INSTDIR\x86\1chserver_com.dll"
  Delete "$INSTDIR\1chserver-addin.zip"
  Delete "$INSTDIR\reg.bat"
  Delete "$INSTDIR\unreg.bat"
  Delete "$INSTDIR\README.md"
  Delete "$INSTDIR\docs\*.md"
  Delete "$INSTDIR\examples\1chserver.json"
  RMDir "$INSTDIR\x64"
  RMDir "$INSTDIR\x86"
  RMDir "$INSTDIR\docs"
  RMDir "$INSTDIR\examples"
  ; Run in place (uninstall.exe _?=<folder>), the uninstaller cannot delete itself: then it stays.
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINST_KEY}"

  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/PURGE" $R1
  ${If} ${Errors}
    DetailPrint "$(DataKept) ${DATADIR}"
  ${Else}
    RMDir /r /REBOOTOK "${DATADIR}"
    DetailPrint "$(Purged) ${DATADIR}"
  ${EndIf}

  ${If} ${RebootFlag}
    MessageBox MB_ICONINFORMATION|MB_OK "$(InUse)" /SD IDOK
  ${EndIf}
SectionEnd
