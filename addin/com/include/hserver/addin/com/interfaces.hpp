#pragma once
/// @brief 1C's COM add-in interfaces, declared by us from the IIDs and method lists of the public
/// add-in templates (see the project's ABI notes). IErrorLog and IPropertyBag are OLE's own and come
/// from the Windows headers; everything here derives from IUnknown and returns HRESULT.
///
/// Vtable order is the declaration order below and must never change: 1C calls by slot.

#include <oaidl.h>
#include <objbase.h>
#include <ocidl.h>

namespace hserver::addin::com {

/// {AB634001-F13D-11D0-A459-004095E1DAEA}
inline constexpr IID kIidInitDone = {0xAB634001, 0xF13D, 0x11D0, {0xA4, 0x59, 0x00, 0x40, 0x95, 0xE1, 0xDA, 0xEA}};
/// {AB634002-F13D-11D0-A459-004095E1DAEA}
inline constexpr IID kIidPropertyProfile = {
    0xAB634002, 0xF13D, 0x11D0, {0xA4, 0x59, 0x00, 0x40, 0x95, 0xE1, 0xDA, 0xEA}};
/// {AB634003-F13D-11D0-A459-004095E1DAEA}
inline constexpr IID kIidLanguageExtender = {
    0xAB634003, 0xF13D, 0x11D0, {0xA4, 0x59, 0x00, 0x40, 0x95, 0xE1, 0xDA, 0xEA}};
/// {AB634004-F13D-11D0-A459-004095E1DAEA}
inline constexpr IID kIidAsyncEvent = {0xAB634004, 0xF13D, 0x11D0, {0xA4, 0x59, 0x00, 0x40, 0x95, 0xE1, 0xDA, 0xEA}};
/// {AB634005-F13D-11D0-A459-004095E1DAEA}
inline constexpr IID kIidStatusLine = {0xAB634005, 0xF13D, 0x11D0, {0xA4, 0x59, 0x00, 0x40, 0x95, 0xE1, 0xDA, 0xEA}};
/// OLE's IErrorLog {3127CA40-446E-11CE-8135-00AA004BB851}: spelled out so we do not depend on a libuuid
/// symbol the MinGW and MSVC import libraries name differently.
inline constexpr IID kIidErrorLog = {0x3127CA40, 0x446E, 0x11CE, {0x81, 0x35, 0x00, 0xAA, 0x00, 0x4B, 0xB8, 0x51}};

/// @brief The add-in's class id (ours; fixed forever: regsvr32 entries and 1C's ProgID lookup use it).
/// {48A3F686-1474-44AB-B56E-D93E70A46192}
inline constexpr CLSID kClsid = {0x48A3F686, 0x1474, 0x44AB, {0xB5, 0x6E, 0xD9, 0x3E, 0x70, 0xA4, 0x61, 0x92}};
/// @brief The same id as registry text.
inline constexpr wchar_t kClsidText[] = L"{48A3F686-1474-44AB-B56E-D93E70A46192}";
/// @brief The original add-in's ProgID: existing 1C code creates `Новый("AddIn.1CHServer")`.
inline constexpr wchar_t kProgId[] = L"AddIn.1CHServer";

/// @brief Initialisation by 1C: Init gets 1C's connection object (an IDispatch that also answers
/// IAsyncEvent, IErrorLog and IStatusLine), GetInfo reports the technology version, Done releases it.
struct IInitDone : IUnknown {
  virtual HRESULT STDMETHODCALLTYPE Init(IDispatch* connection) = 0;
  virtual HRESULT STDMETHODCALLTYPE Done() = 0;
  virtual HRESULT STDMETHODCALLTYPE GetInfo(SAFEARRAY** info) = 0;
};

/// @brief Settings storage (optional in 1C's technology; declared for completeness, not implemented).
struct IPropertyProfile : IPropertyBag {
  virtual HRESULT STDMETHODCALLTYPE RegisterProfileAs(BSTR name) = 0;
};

/// @brief The properties and methods 1C code sees (`Объект.Метод(...)`), by index.
struct ILanguageExtender : IUnknown {
  virtual HRESULT STDMETHODCALLTYPE RegisterExtensionAs(BSTR* name) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetNProps(long* count) = 0;
  virtual HRESULT STDMETHODCALLTYPE FindProp(BSTR name, long* index) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetPropName(long index, long alias, BSTR* name) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetPropVal(long index, VARIANT* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE SetPropVal(long index, VARIANT* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE IsPropReadable(long index, BOOL* readable) = 0;
  virtual HRESULT STDMETHODCALLTYPE IsPropWritable(long index, BOOL* writable) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetNMethods(long* count) = 0;
  virtual HRESULT STDMETHODCALLTYPE FindMethod(BSTR name, long* index) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetMethodName(long index, long alias, BSTR* name) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetNParams(long index, long* count) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetParamDefValue(long method, long param, VARIANT* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE HasRetVal(long index, BOOL* has) = 0;
  virtual HRESULT STDMETHODCALLTYPE CallAsProc(long index, SAFEARRAY** params) = 0;
  virtual HRESULT STDMETHODCALLTYPE CallAsFunc(long index, VARIANT* result, SAFEARRAY** params) = 0;
};

/// @brief 1C's event buffer: ExternalEvent must be called on 1C's (STA) thread.
struct IAsyncEvent : IUnknown {
  virtual HRESULT STDMETHODCALLTYPE SetEventBufferDepth(long depth) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetEventBufferDepth(long* depth) = 0;
  virtual HRESULT STDMETHODCALLTYPE ExternalEvent(BSTR source, BSTR event, BSTR data) = 0;
  virtual HRESULT STDMETHODCALLTYPE CleanBuffer() = 0;
};

/// @brief 1C's status line (only obtained and released: the add-in does not write to it).
struct IStatusLine : IUnknown {
  virtual HRESULT STDMETHODCALLTYPE SetStatusLine(BSTR text) = 0;
  virtual HRESULT STDMETHODCALLTYPE ResetStatusLine() = 0;
};

/// @brief EXCEPINFO.wCode for IErrorLog::AddError: 1006 is "failure" (1000-1009; 1007-1009 show a dialog).
inline constexpr WORD kErrorCodeFail = 1006;
inline constexpr WORD kErrorCodeImportant = 1003;  // ADDIN_E_IMPORTANT: shown, no exception with scode 0

}  // namespace hserver::addin::com
