#pragma once
/// @brief 1C's COM add-in interfaces as the host (1C) sees them, written down independently of the
/// add-in's own headers (addin/com), so that the emulator cannot share a mistake with what it tests.

#include <oaidl.h>
#include <objbase.h>
#include <ocidl.h>

namespace hserver::comhost::abi {

inline constexpr IID kIidInitDone = {0xAB634001, 0xF13D, 0x11D0, {0xA4, 0x59, 0x00, 0x40, 0x95, 0xE1, 0xDA, 0xEA}};
inline constexpr IID kIidLanguageExtender = {
    0xAB634003, 0xF13D, 0x11D0, {0xA4, 0x59, 0x00, 0x40, 0x95, 0xE1, 0xDA, 0xEA}};
inline constexpr IID kIidAsyncEvent = {0xAB634004, 0xF13D, 0x11D0, {0xA4, 0x59, 0x00, 0x40, 0x95, 0xE1, 0xDA, 0xEA}};
inline constexpr IID kIidStatusLine = {0xAB634005, 0xF13D, 0x11D0, {0xA4, 0x59, 0x00, 0x40, 0x95, 0xE1, 0xDA, 0xEA}};
inline constexpr IID kIidErrorLog = {0x3127CA40, 0x446E, 0x11CE, {0x81, 0x35, 0x00, 0xAA, 0x00, 0x4B, 0xB8, 0x51}};

/// @brief What 1C calls on the add-in object.
struct IInitDone : IUnknown {
  virtual HRESULT STDMETHODCALLTYPE Init(IDispatch* connection) = 0;
  virtual HRESULT STDMETHODCALLTYPE Done() = 0;
  virtual HRESULT STDMETHODCALLTYPE GetInfo(SAFEARRAY** info) = 0;
};

/// @brief What 1C calls on the add-in object for properties and methods.
struct ILanguageExtender : IUnknown {
  virtual HRESULT STDMETHODCALLTYPE RegisterExtensionAs(BSTR*) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetNProps(long*) = 0;
  virtual HRESULT STDMETHODCALLTYPE FindProp(BSTR, long*) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetPropName(long, long, BSTR*) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetPropVal(long, VARIANT*) = 0;
  virtual HRESULT STDMETHODCALLTYPE SetPropVal(long, VARIANT*) = 0;
  virtual HRESULT STDMETHODCALLTYPE IsPropReadable(long, BOOL*) = 0;
  virtual HRESULT STDMETHODCALLTYPE IsPropWritable(long, BOOL*) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetNMethods(long*) = 0;
  virtual HRESULT STDMETHODCALLTYPE FindMethod(BSTR, long*) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetMethodName(long, long, BSTR*) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetNParams(long, long*) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetParamDefValue(long, long, VARIANT*) = 0;
  virtual HRESULT STDMETHODCALLTYPE HasRetVal(long, BOOL*) = 0;
  virtual HRESULT STDMETHODCALLTYPE CallAsProc(long, SAFEARRAY**) = 0;
  virtual HRESULT STDMETHODCALLTYPE CallAsFunc(long, VARIANT*, SAFEARRAY**) = 0;
};

/// @brief What the host implements for the add-in: 1C's event buffer.
struct IAsyncEvent : IUnknown {
  virtual HRESULT STDMETHODCALLTYPE SetEventBufferDepth(long) = 0;
  virtual HRESULT STDMETHODCALLTYPE GetEventBufferDepth(long*) = 0;
  virtual HRESULT STDMETHODCALLTYPE ExternalEvent(BSTR source, BSTR event, BSTR data) = 0;
  virtual HRESULT STDMETHODCALLTYPE CleanBuffer() = 0;
};

/// @brief What the host implements for the add-in: the status line.
struct IStatusLine : IUnknown {
  virtual HRESULT STDMETHODCALLTYPE SetStatusLine(BSTR) = 0;
  virtual HRESULT STDMETHODCALLTYPE ResetStatusLine() = 0;
};

/// @brief OLE's IErrorLog, declared here too (one method after IUnknown).
struct IErrorLog : IUnknown {
  virtual HRESULT STDMETHODCALLTYPE AddError(LPCOLESTR property, EXCEPINFO* info) = 0;
};

}  // namespace hserver::comhost::abi
